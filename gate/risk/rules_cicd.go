package risk

import (
	"strings"
)

// cicdFamilies rates code-hosting, CI/CD and delivery CLIs: deleting a
// repository, its secrets or a pipeline's context cannot be undone.
func cicdFamilies() []family {
	const cat = CatCICD
	ghValued := []string{"-R", "--repo", "-b", "--body", "-t", "--title", "-q", "--jq", "-F", "--field", "-f", "--raw-field", "-H", "--header", "--hostname", "-e", "--env", "-o", "--org", "-a", "--app", "-u", "--user", "--template", "-X", "--method", "-L", "--limit", "-s", "--state", "-n", "--name"}
	return []family{
		{[]string{"gh"}, rulesWithAPI(table(ghValued,
			subRule{"repo delete", nil, cat, LevelCritical, "deletes a GitHub repository with its issues, releases and wiki"},
			subRule{"repo edit", []string{"--visibility=public", "public"}, CatNetworkExposure, LevelHigh, "publishes the repository"},
			subRule{"repo archive", nil, cat, LevelMedium, "archives the repository (read-only for everyone)"},
			subRule{"repo rename|transfer", nil, cat, LevelMedium, "renames or moves the repository, breaking its URLs"},
			subRule{"secret delete|remove", nil, cat, LevelHigh, "deletes a GitHub Actions secret that deployments rely on"},
			subRule{"variable delete", nil, cat, LevelMedium, "deletes a GitHub Actions variable"},
			subRule{"release delete", nil, cat, LevelHigh, "deletes a release and its assets"},
			subRule{"release delete-asset", nil, cat, LevelMedium, "deletes a release asset"},
			subRule{"ssh-key|gpg-key delete", nil, cat, LevelHigh, "deletes a key from the account"},
			subRule{"project delete", nil, cat, LevelHigh, "deletes a project"},
			subRule{"label delete", nil, cat, LevelMedium, "deletes a label from every issue"},
			subRule{"codespace delete", []string{"--all"}, cat, LevelHigh, "deletes every codespace"},
			subRule{"cache delete", []string{"--all"}, cat, LevelLow, "deletes every Actions cache"},
			subRule{"cache delete", nil, cat, LevelLow, "deletes an Actions cache entry"},
			subRule{"run delete", nil, cat, LevelMedium, "deletes a workflow run and its logs"},
			subRule{"workflow disable", nil, cat, LevelMedium, "disables a workflow"},
			subRule{"pr merge", []string{"--admin"}, cat, LevelHigh, "merges with administrator rights, bypassing branch protection"},
			subRule{"issue delete", nil, cat, LevelMedium, "deletes an issue"},
			subRule{"auth token", nil, CatSecrets, LevelMedium, "prints the GitHub token"},
			subRule{"auth status", []string{"--show-token", "-t"}, CatSecrets, LevelHigh, "prints the GitHub token"},
			subRule{"extension install", nil, CatPackageInstall, LevelLow, "installs a gh extension from the network"},
			subRule{"org|team delete", nil, cat, LevelHigh, "deletes organisation data"},
		))},
		{[]string{"glab"}, rulesWithAPI(table([]string{"-R", "--repo", "-g", "--group", "-b", "--body", "-t", "--title", "-X", "--method"},
			subRule{"repo delete", nil, cat, LevelCritical, "deletes a GitLab project"},
			subRule{"variable delete|remove", nil, cat, LevelHigh, "deletes a CI/CD variable"},
			subRule{"release delete", nil, cat, LevelHigh, "deletes a release"},
			subRule{"repo archive", nil, cat, LevelMedium, "archives the project"},
			subRule{"ssh-key delete", nil, cat, LevelHigh, "deletes an SSH key"},
			subRule{"mr merge", []string{"--skip-ci"}, cat, LevelMedium, "merges without running the pipeline"},
			subRule{"auth status", []string{"--show-token", "-t"}, CatSecrets, LevelHigh, "prints the GitLab token"},
		))},
		{[]string{"hub"}, table(nil,
			subRule{"delete", nil, cat, LevelCritical, "deletes a GitHub repository"},
		)},
		{[]string{"circleci"}, table([]string{"--token", "--host", "--org-id"},
			subRule{"context delete", nil, cat, LevelHigh, "deletes a CircleCI context with all its secrets"},
			subRule{"context remove-secret", nil, cat, LevelHigh, "deletes a secret from a CircleCI context"},
			subRule{"namespace delete", nil, cat, LevelHigh, "deletes an orb namespace"},
			subRule{"orb unlist", nil, cat, LevelMedium, "unlists an orb"},
			subRule{"project secret delete", nil, cat, LevelHigh, "deletes a project secret"},
			subRule{"runner resource-class|token delete", nil, cat, LevelHigh, "deletes runner resources or tokens"},
			subRule{"context show", nil, CatSecrets, LevelLow, "lists a context's secret names"},
		)},
		{[]string{"travis"}, table([]string{"-r", "--repo", "-t", "--token"},
			subRule{"env unset|clear", nil, cat, LevelHigh, "deletes repository environment variables"},
			subRule{"disable", nil, cat, LevelMedium, "disables CI for the repository"},
			subRule{"cache", []string{"--delete", "-d"}, cat, LevelLow, "deletes build caches"},
		)},
		{[]string{"jenkins-cli", "jenkins"}, table([]string{"-s", "-auth", "-i"},
			subRule{"delete-job|delete-node|delete-view|delete-builds|delete-credentials", nil, cat, LevelHigh, "deletes Jenkins jobs, nodes or credentials"},
			subRule{"shutdown|restart|safe-shutdown|safe-restart|quiet-down", nil, cat, LevelHigh, "stops or restarts the Jenkins controller"},
			subRule{"groovy|groovysh", nil, CatRemoteCode, LevelHigh, "runs Groovy code on the Jenkins controller"},
			subRule{"disable-job|disconnect-node|offline-node", nil, cat, LevelMedium, "takes jobs or build agents offline"},
			subRule{"install-plugin", nil, CatPackageInstall, LevelLow, "installs a Jenkins plugin"},
		)},
		{[]string{"argocd"}, table([]string{"--server", "--auth-token", "--grpc-web-root-path", "--config", "-p", "--parameter", "--revision", "-l", "--selector", "--project", "--dest-namespace", "--dest-server"},
			subRule{"app delete", nil, CatInfraTeardown, LevelHigh, "deletes an application and, by default, every resource it deployed"},
			subRule{"app sync", []string{"--prune", "--force", "--replace"}, CatInfraTeardown, LevelMedium, "syncs and deletes or replaces resources missing from Git"},
			subRule{"app rollback", nil, CatInfraTeardown, LevelMedium, "rolls an application back"},
			subRule{"app terminate-op", nil, CatInfraTeardown, LevelMedium, "aborts a running sync"},
			subRule{"app sync|create|set|patch", nil, CatContainers, LevelLow, "deploys or changes an application"},
			subRule{"proj|project delete", nil, CatInfraTeardown, LevelHigh, "deletes a project"},
			subRule{"cluster rm|delete", nil, CatInfraTeardown, LevelHigh, "removes a cluster from Argo CD"},
			subRule{"repo|repocreds|cert|gpg rm|delete", nil, cat, LevelMedium, "removes repository credentials or certificates"},
			subRule{"account delete-token|generate-token", nil, CatSecrets, LevelMedium, "creates or deletes an API token"},
			subRule{"admin export", nil, CatSecrets, LevelMedium, "exports Argo CD data, including secrets"},
			subRule{"admin initial-password", nil, CatSecrets, LevelHigh, "prints the admin password"},
		)},
		{[]string{"flux"}, table([]string{"-n", "--namespace", "--context", "--kubeconfig"},
			subRule{"uninstall", nil, CatInfraTeardown, LevelCritical, "removes Flux and the resources it manages from the cluster"},
			subRule{"delete", nil, CatInfraTeardown, LevelHigh, "deletes a Flux source or kustomization (and its workloads, if pruned)"},
			subRule{"suspend", nil, CatInfraTeardown, LevelMedium, "stops reconciling workloads"},
			subRule{"reconcile|resume|create|bootstrap", nil, CatContainers, LevelLow, "deploys or changes what Flux reconciles"},
		)},
		{[]string{"tkn"}, table([]string{"-n", "--namespace", "--context"},
			subRule{"*", []string{"--all"}, cat, LevelHigh, "deletes every pipeline, task or run"},
			subRule{"* delete|rm", nil, cat, LevelMedium, "deletes Tekton resources"},
		)},
		{[]string{"spin"}, table([]string{"--gate-endpoint", "--config"},
			subRule{"application|pipeline|pipeline-template|project delete", nil, cat, LevelHigh, "deletes Spinnaker applications or pipelines"},
		)},
		{[]string{"octopus", "octo"}, table(nil,
			subRule{"* delete", nil, cat, LevelHigh, "deletes Octopus Deploy resources"},
		)},
		{[]string{"buildkite-agent"}, table(nil,
			subRule{"artifact|meta-data|secret delete", nil, cat, LevelMedium, "deletes build data"},
			subRule{"secret get", nil, CatSecrets, LevelHigh, "prints a Buildkite secret"},
		)},
		{[]string{"bk"}, table(nil,
			subRule{"pipeline|cluster delete", nil, cat, LevelHigh, "deletes a Buildkite pipeline or cluster"},
		)},
		{[]string{"codefresh", "harness", "semaphore", "sem", "gocd", "drone", "woodpecker-cli", "woodpecker"}, table(nil,
			subRule{"delete|rm", nil, cat, LevelHigh, "deletes CI/CD resources"},
			subRule{"* delete|rm|remove|purge", nil, cat, LevelHigh, "deletes CI/CD resources"},
			subRule{"secret|secrets|cron|repo|pipeline *", []string{"--all"}, cat, LevelHigh, "acts on every secret or pipeline"},
		)},
		{[]string{"sentry-cli", "datadog-ci", "newrelic", "pd", "pagerduty", "opsgenie", "statuspage", "stripe", "twilio", "auth0", "okta", "cf", "kamal", "dokku", "coolify"}, (*assessor).saas},
	}
}

// rulesWithAPI adds the rules for "gh api"/"glab api" calls to a table:
// a DELETE (or a removal of branch protection) is rated by its path.
func rulesWithAPI(t ruleFunc) ruleFunc {
	return func(a *assessor, name string, args []arg, c ctx) {
		p := positionals(args, "-X", "--method", "-H", "--header", "-F", "--field", "-f", "--raw-field", "-q", "--jq", "-t", "--template", "--hostname", "--input")
		if len(p) == 0 || p[0].s != "api" {
			t(a, name, args, c)
			return
		}
		method := strings.ToUpper(flagValue(args, "-X", "--method"))
		path := nth(p, 1)
		switch {
		case method == "DELETE" && (containsAny(path, "/protection", "/rulesets")):
			a.add(CatCICD, LevelCritical, "`"+name+" api -X DELETE "+shorten(path, 50)+"` removes branch protection or rulesets")
		case method == "DELETE" && (strings.Count(strings.Trim(path, "/"), "/") == 2 && strings.HasPrefix(strings.TrimPrefix(path, "/"), "repos/") || strings.HasPrefix(strings.TrimPrefix(path, "/"), "orgs/") && strings.Count(strings.Trim(path, "/"), "/") == 1):
			a.add(CatCICD, LevelCritical, "`"+name+" api -X DELETE "+shorten(path, 50)+"` deletes a repository or organisation")
		case method == "DELETE":
			a.add(CatCICD, LevelHigh, "`"+name+" api -X DELETE "+shorten(path, 50)+"` deletes GitHub resources")
		case (oneOf(method, "PUT", "PATCH", "POST")) && strings.Contains(path, "/protection"):
			a.add(CatCICD, LevelMedium, "`"+name+" api` changes branch protection")
		case (oneOf(method, "PATCH", "PUT")) && anyArg(args, func(x arg) bool {
			return containsAny(x.s, "visibility=public", "private=false")
		}):
			a.add(CatNetworkExposure, LevelHigh, "`"+name+" api` makes a repository public")
		}
	}
}

// saas covers SaaS and PaaS CLIs whose subcommands follow "<resource>
// <verb>" and whose deletions are final.
func (a *assessor) saas(name string, args []arg, _ ctx) {
	p := positionals(args, "--org", "-o", "--project", "-p", "--api-key", "--token", "-a", "--app", "-d", "--destination", "--space", "-s")
	for i, x := range firstN(p, 3) {
		l := strings.ToLower(x)
		switch {
		case oneOf(l, "destroy", "apps:destroy") || strings.HasSuffix(l, ":destroy") || oneOf(l, "delete-space", "delete-org"):
			a.add(CatCloud, LevelCritical, "`"+name+" "+strings.Join(firstN(p, i+2), " ")+"` destroys an application or account")
			return
		case destructiveWord(p[i]) != "" || l == "delete" || hasSuffixAny(l, ":delete", ":remove") || l == "rm":
			a.add(CatCloud, LevelHigh, "`"+name+" "+strings.Join(firstN(p, i+2), " ")+"` deletes data in a SaaS account")
			return
		}
	}
	if oneOf(name, "kamal", "dokku", "cf") {
		for _, x := range firstN(p, 2) {
			if oneOf(x, "remove", "apps:destroy", "delete") {
				a.add(CatCloud, LevelHigh, "`"+name+" "+x+"` removes the application")
			}
		}
	}
}
