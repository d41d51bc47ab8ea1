package risk

import (
	"strings"
)

// infraFamilies rates infrastructure-as-code tools and other schedulers.
func infraFamilies() []family {
	return []family{
		{[]string{"terraform", "tofu", "terragrunt", "terraform-docs", "tf", "atlantis"}, onNameArgs((*assessor).terraform)},
		{[]string{"pulumi"}, onArgs((*assessor).pulumi)},
		{[]string{"cdk", "cdktf", "serverless", "sls", "sam", "copilot", "amplify", "eksctl", "kops", "kind", "k3d", "minikube", "cdk8s"}, onNameArgs((*assessor).iac)},
		{[]string{"crictl", "ctr", "nomad", "consul", "vagrant", "virsh", "lxc", "multipass", "packer", "vboxmanage", "qm", "pct", "openstack", "incus"}, onNameArgs((*assessor).otherInfra)},
		{[]string{"ansible", "ansible-playbook", "pssh", "parallel-ssh", "clush", "pdsh"}, (*assessor).fleet},
	}
}

// kubeFamilies rates Kubernetes clients and Helm.
func kubeFamilies() []family {
	return []family{
		{[]string{"kubectl", "oc", "k", "kubecolor", "microk8s.kubectl"}, (*assessor).kubectl},
		{[]string{"helm", "helmfile"}, onNameArgs((*assessor).helm)},
	}
}

func (a *assessor) terraform(name string, args []arg) {
	p := positionals(args, "-chdir", "-var", "-var-file", "-target", "-state", "-out", "-parallelism", "-lock-timeout", "--terragrunt-working-dir")
	if len(p) == 0 {
		return
	}
	sub := p[0].s
	if sub == "run-all" || sub == "run" && name == "terragrunt" {
		if len(p) < 2 {
			return
		}
		p = p[1:]
		sub = p[0].s
	}
	auto := hasFlag(args, "-auto-approve", "--auto-approve", "-auto-approve=true", "--terragrunt-non-interactive", "--non-interactive")
	switch sub {
	case "destroy", "destroy-all":
		a.add(CatInfraTeardown, LevelCritical, "`"+name+" "+sub+"` deletes every resource the configuration manages")
		a.add(CatCloud, LevelHigh, "the destroyed resources (servers, databases, buckets) and their data are gone")
	case "apply":
		switch {
		case hasFlag(args, "-destroy", "--destroy"):
			a.add(CatInfraTeardown, LevelCritical, "`"+name+" apply -destroy` deletes every resource the configuration manages")
		case len(p) > 1:
			a.add(CatInfraTeardown, LevelLow, "`"+name+" apply` applies the saved plan "+quote(p[1].s))
		case auto:
			a.add(CatInfraTeardown, LevelHigh, "`"+name+" apply -auto-approve` changes infrastructure without a reviewed plan")
		default:
			a.add(CatInfraTeardown, LevelLow, "`"+name+" apply` changes infrastructure")
		}
	case "state":
		if len(p) > 1 && (oneOf(p[1].s, "rm", "push", "mv", "replace-provider")) {
			a.add(CatInfraTeardown, LevelHigh, "`"+name+" state "+p[1].s+"` edits the state file, which can orphan or lose track of resources")
		}
		if len(p) > 1 && p[1].s == "pull" {
			a.add(CatSecrets, LevelLow, "`"+name+" state pull` prints the state, which may contain secrets")
		}
	case "import":
		a.add(CatInfraTeardown, LevelLow, "`"+name+" import` adopts an existing resource into the state")
	case "taint", "untaint", "force-unlock":
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" "+sub+"` changes how resources are tracked or replaced")
	case "workspace":
		if len(p) > 1 && p[1].s == "delete" {
			a.add(CatInfraTeardown, LevelHigh, "`"+name+" workspace delete` deletes a workspace and its state")
		}
	case "output":
		if hasFlag(args, "-json", "-raw") {
			a.add(CatSecrets, LevelLow, "`"+name+" output` prints outputs, which may include sensitive values")
		}
	}
}

func (a *assessor) pulumi(args []arg) {
	p := positionals(args, "-s", "--stack", "-C", "--cwd", "-c", "--config")
	if len(p) == 0 {
		return
	}
	yes := hasShort(args, 'y') || hasFlag(args, "--yes", "--skip-preview", "-f")
	switch strings.Join(firstN(p, 2), " ") {
	case "stack rm", "stack remove":
		a.add(CatInfraTeardown, LevelCritical, "`pulumi stack rm` deletes a stack and its history")
		return
	case "state delete", "state unprotect":
		a.add(CatInfraTeardown, LevelHigh, "`pulumi "+p[0].s+" "+p[1].s+"` edits the stack state")
		return
	}
	switch p[0].s {
	case "destroy", "down":
		a.add(CatInfraTeardown, LevelCritical, "`pulumi destroy` deletes every resource in the stack")
		a.add(CatCloud, LevelHigh, "the destroyed resources (servers, databases, buckets) and their data are gone")
	case "up", "update":
		if yes {
			a.add(CatInfraTeardown, LevelHigh, "`pulumi up --yes` changes infrastructure without a reviewed preview")
		} else {
			a.add(CatInfraTeardown, LevelLow, "`pulumi up` changes infrastructure")
		}
	}
}

func firstN(p []arg, n int) []string {
	out := make([]string, 0, n)
	for i := 0; i < n && i < len(p); i++ {
		out = append(out, p[i].s)
	}
	return out
}

func (a *assessor) iac(name string, args []arg) {
	p := positionals(args, "--stage", "-s", "--region", "-r", "--profile", "--app", "-a", "-c", "--context", "--name", "-n", "--cluster")
	if len(p) == 0 {
		return
	}
	verb := p[0].s
	if len(p) > 1 && (oneOf(p[1].s, "delete", "destroy", "remove")) && (oneOf(name, "copilot", "eksctl", "kops", "amplify")) {
		verb = p[1].s
	}
	switch {
	case (oneOf(verb, "delete", "destroy")) && (oneOf(name, "kind", "k3d", "minikube")):
		a.add(CatInfraTeardown, LevelLow, "`"+name+" "+verb+"` removes a local development cluster")
	case oneOf(verb, "destroy", "remove", "delete", "teardown"):
		a.add(CatInfraTeardown, LevelCritical, "`"+name+" "+strings.Join(firstN(p, 2), " ")+"` deletes the deployed infrastructure")
	case verb == "deploy" && anyArg(args, func(x arg) bool { return x.s == "never" }):
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" deploy --require-approval never` skips review of security-relevant changes")
	case oneOf(verb, "deploy", "up", "create", "apply"):
		a.add(CatInfraTeardown, LevelLow, "`"+name+" "+verb+"` deploys infrastructure")
	}
}

func (a *assessor) helm(name string, args []arg) {
	p := positionals(args, "-n", "--namespace", "--kube-context", "-f", "--values", "--set", "--version", "--repo", "-e", "--environment", "--timeout", "--set-string", "--set-file")
	if len(p) == 0 {
		return
	}
	switch p[0].s {
	case "uninstall", "delete", "del", "un", "destroy":
		rel := ""
		if len(p) > 1 {
			rel = " " + p[1].s
		}
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" "+p[0].s+rel+"` removes a release and its Kubernetes resources")
		a.add(CatContainers, LevelMedium, "the release's pods, services and volumes are deleted from the cluster")
	case "rollback":
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" rollback` reverts a release to an older version")
	case "upgrade", "install", "apply", "sync":
		lvl := LevelLow
		if l := joinArgs(args); containsAny(l, "privileged=true", "hostNetwork=true", "hostPID=true") {
			a.add(CatContainers, LevelHigh, "`"+name+" "+p[0].s+"` deploys privileged or host-namespace pods")
		}
		if hasFlag(args, "--force") {
			lvl = LevelMedium
		}
		a.add(CatContainers, lvl, "`"+name+" "+p[0].s+"` deploys a release to the cluster")
	case "plugin":
		if len(p) > 1 && p[1].s == "install" {
			a.add(CatPackageInstall, LevelLow, "`helm plugin install` installs a plugin from the network")
		}
	}
}

func (a *assessor) kubectl(name string, args []arg, c ctx) {
	valued := []string{"-n", "--namespace", "--context", "--cluster", "--kubeconfig", "-l", "--selector", "-o", "--output", "-f", "--filename", "-c", "--container", "--replicas", "--type", "-p", "--patch", "--image", "--timeout", "--grace-period", "--field-selector", "--for", "--user", "-s", "--server", "--token", "--as", "--from-literal", "--from-file", "--address", "--port", "--overrides", "--clusterrole", "--role", "--serviceaccount", "--dry-run"}
	if i := flagIndex(args, "--"); i >= 0 && len(args) > 0 && positionalsFirst(args, valued) == "exec" {
		a.add(CatContainers, LevelLow, "runs a command inside a Kubernetes pod with `"+name+" exec`")
		cc := c
		cc.depth++
		a.exec(args[i+1:], cc)
		return
	}
	p := positionals(args, valued...)
	if len(p) == 0 {
		return
	}
	if p[0].s == "adm" && len(p) > 1 {
		p = p[1:]
	}
	verb := p[0].s
	kind := ""
	if len(p) > 1 {
		kind = strings.ToLower(p[1].s)
	}
	switch verb {
	case "delete":
		a.kubeDelete(name, kind, p, args, hasFlag(args, "--all", "-A", "--all-namespaces"))
	case "drain":
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" drain` evicts every pod from the node")
		a.add(CatContainers, LevelMedium, "workloads on the node are interrupted")
	case "cordon":
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" cordon` stops scheduling on the node")
		a.add(CatContainers, LevelMedium, "no new pods can start on the node")
	case "scale":
		if r := flagValue(args, "--replicas"); r == "0" {
			a.add(CatInfraTeardown, LevelHigh, "`"+name+" scale --replicas=0` stops every pod of the workload")
			a.add(CatContainers, LevelMedium, "the service has no running pods until scaled up again")
		} else {
			a.add(CatContainers, LevelLow, "`"+name+" scale` changes the number of replicas")
		}
	case "apply", "create", "replace", "patch", "set", "rollout", "annotate", "label", "edit", "autoscale", "expose", "run", "taint":
		a.kubeChange(name, verb, kind, args)
	default:
		a.kubeAccess(name, verb, kind, args)
	}
}

// kubeAccess rates reads of secrets and credentials, port exposure and
// node-level access.
func (a *assessor) kubeAccess(name, verb, kind string, args []arg) {
	switch verb {
	case "get", "describe":
		if raw := flagValue(args, "--raw"); strings.Contains(raw, "/secrets") || strings.Contains(raw, "/configmaps") && strings.Contains(raw, "kube-system") {
			a.add(CatSecrets, LevelHigh, "`"+name+" get --raw "+shorten(raw, 50)+"` prints Kubernetes secret values straight from the API")
		}
		if out := flagValue(args, "-o", "--output"); strings.HasPrefix(kind, "secret") && hasPrefixAny(out, "json", "yaml", "jsonpath", "go-template") {
			a.add(CatSecrets, LevelHigh, "`"+name+" get secret -o "+out+"` prints Kubernetes secret values")
		}
	case "config":
		if kind == "view" && hasFlag(args, "--raw", "--flatten") {
			a.add(CatSecrets, LevelHigh, "`"+name+" config view --raw` prints cluster credentials")
		}
	case "proxy", "port-forward":
		if addr := flagValue(args, "--address"); addr == "0.0.0.0" || strings.Contains(addr, "0.0.0.0") {
			a.add(CatNetworkExposure, LevelHigh, "`"+name+" "+verb+" --address 0.0.0.0` exposes the cluster API or a pod to the whole network")
		} else {
			a.add(CatNetworkExposure, LevelLow, "`"+name+" "+verb+"` forwards a local port into the cluster")
		}
	case "debug":
		if strings.HasPrefix(kind, "node") {
			a.add(CatPrivilege, LevelHigh, "`"+name+" debug node` starts a privileged pod with the node's filesystem")
		}
	case "cp":
		a.add(CatContainers, LevelLow, "`"+name+" cp` copies files to or from a pod")
	case "certificate":
		a.add(CatPrivilege, LevelMedium, "`"+name+" certificate` approves or denies cluster certificates")
	}
}

func positionalsFirst(args []arg, valued []string) string {
	p := positionals(args[:max(0, flagIndex(args, "--"))], valued...)
	if len(p) == 0 {
		return ""
	}
	return p[0].s
}

func (a *assessor) kubeDelete(name, kind string, p, args []arg, all bool) {
	what := strings.Join(firstN(p[1:], 2), " ")
	recreated := false
	for _, k := range []string{"secret", "configmap", "cm", "job", "pod", "po", "service", "svc", "ingress", "cronjob"} {
		if kind == k || kind == k+"s" || strings.HasPrefix(kind, k+"/") {
			recreated = true
		}
	}
	selected := hasFlag(args, "--field-selector")
	switch {
	case recreated && (hasFlag(args, "--ignore-not-found", "--ignore-not-found=true") || selected && !hasFlag(args, "--all")):
		// delete-then-create of a secret or job, or cleanup of failed
		// pods by selector, is how idempotent CI scripts are written.
		a.add(CatInfraTeardown, LevelLow, "`"+name+" delete "+what+"` deletes "+kind+" objects (usually recreated right after)")
		return
	case oneOf(kind, "ns", "namespace", "namespaces") || hasPrefixAny(kind, "namespace/", "ns/") || kind == "project" || strings.HasPrefix(kind, "project/"):
		a.add(CatInfraTeardown, LevelCritical, "`"+name+" delete "+what+"` deletes a namespace and everything in it")
	case all || kind == "all" || strings.HasPrefix(kind, "crd") || strings.Contains(kind, "customresourcedefinition") || oneOf(kind, "node", "nodes") || strings.HasPrefix(kind, "pv"):
		a.add(CatInfraTeardown, LevelCritical, "`"+name+" delete "+what+"` deletes cluster resources in bulk or persistent data")
	case hasFlag(args, "-f", "--filename", "-k", "--kustomize"):
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" delete -f` deletes every resource in the given manifests")
	case strings.HasPrefix(kind, "job"):
		a.add(CatInfraTeardown, LevelLow, "`"+name+" delete "+what+"` deletes a job")
	case hasPrefixAny(kind, "pod", "po/"):
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" delete "+what+"` deletes pods or jobs")
	default:
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" delete "+what+"` deletes Kubernetes resources")
	}
	a.add(CatContainers, LevelLow, "changes the Kubernetes cluster with `"+name+"`")
}

func (a *assessor) kubeChange(name, verb, kind string, args []arg) {
	l := joinArgs(args)
	switch {
	case strings.Contains(l, "cluster-admin") && (strings.Contains(kind, "binding") || verb == "create"):
		a.add(CatPrivilege, LevelHigh, "`"+name+" "+verb+"` grants the cluster-admin role")
		a.add(CatContainers, LevelMedium, "changes RBAC in the Kubernetes cluster")
	case verb == "replace" && hasFlag(args, "--force"):
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" replace --force` deletes and recreates resources")
	case verb == "expose" && (containsAny(l, "LoadBalancer", "NodePort")):
		a.add(CatNetworkExposure, LevelMedium, "`"+name+" expose` publishes a service outside the cluster")
	case verb == "apply" && hasFlag(args, "--prune"):
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" apply --prune` deletes resources missing from the manifests")
	case verb == "rollout" && kind == "undo":
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" rollout undo` reverts a deployment")
	case verb == "run" && (containsAny(l, "privileged", "hostPID", "hostNetwork", "hostPath")):
		a.add(CatContainers, LevelHigh, "`"+name+" run` starts a privileged pod")
	case verb == "patch" && strings.Contains(l, "finalizers"):
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" patch` removes finalizers, so the object is deleted without its cleanup")
	case verb == "taint" || verb == "patch" && strings.Contains(l, "replicas\":0"):
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" "+verb+"` changes where or whether pods run")
	case kind == "secret" && verb == "create":
		a.add(CatContainers, LevelLow, "`"+name+" create secret` stores a secret in the cluster")
	default:
		a.add(CatContainers, LevelLow, "`"+name+" "+verb+"` changes resources in the Kubernetes cluster")
	}
}
