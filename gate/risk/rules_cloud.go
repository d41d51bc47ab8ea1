package risk

import (
	"strings"
)

func (a *assessor) aws(args []arg, c ctx) {
	p := positionals(args, "--region", "--profile", "--output", "--query", "--endpoint-url", "--bucket", "--key", "--instance-ids", "--db-instance-identifier", "--stack-name", "--secret-id", "--name", "--cluster", "--service", "--function-name", "--table-name", "--user-name", "--role-name", "--policy-arn", "--group-id", "--cidr", "--protocol", "--port", "--exclude", "--include", "--acl", "--desired-count", "--names", "--parameters", "--document-name")
	if len(p) < 2 {
		return
	}
	svc, op := p[0].s, p[1].s
	l := joinArgs(args)
	if svc == "s3" {
		a.s3(op, p, args, c)
		return
	}
	if awsRevealsSecret(svc, op, p, args, c) {
		lvl := LevelHigh
		if c.piped || c.redirOut {
			lvl = LevelMedium
		}
		a.add(CatSecrets, lvl, "`aws "+svc+" "+op+"` reveals secret values or credentials")
		return
	}
	a.awsChange(svc, op, l)
}

// awsRevealsSecret reports operations that print credentials or secrets.
// Temporary credentials and registry passwords piped into another command
// are how they are meant to be used.
func awsRevealsSecret(svc, op string, p, args []arg, c ctx) bool {
	switch svc + " " + op {
	case "secretsmanager get-secret-value", "iam create-access-key", "kms decrypt", "lightsail download-default-key-pair", "ec2 get-password-data", "configure export-credentials":
		return true
	case "sts get-session-token", "sts assume-role", "ecr get-login-password":
		return !c.piped && !c.redirOut
	case "configure get":
		return len(p) > 2 && strings.Contains(p[2].s, "secret")
	}
	return svc == "ssm" && strings.HasPrefix(op, "get-parameter") && hasFlag(args, "--with-decryption")
}

// awsChange rates AWS operations that change, expose or delete resources.
func (a *assessor) awsChange(svc, op, l string) {
	switch {
	case op == "authorize-security-group-ingress" && (containsAny(l, "0.0.0.0/0", "::/0")):
		a.add(CatNetworkExposure, LevelHigh, "`aws ec2 "+op+"` opens a port to the whole internet (0.0.0.0/0)")
		a.add(CatCloud, LevelMedium, "changes a security group in the cloud account")
	case strings.Contains(op, "public-access-block") && strings.HasPrefix(op, "delete") || strings.Contains(l, "public-read") || op == "put-bucket-policy" && strings.Contains(l, "\"*\""):
		a.add(CatNetworkExposure, LevelHigh, "`aws "+svc+" "+op+"` makes data public")
	case svc == "iam" && (containsAny(l, "AdministratorAccess", "\"Action\":\"*\"", "iam:PassRole")):
		a.add(CatPrivilege, LevelHigh, "`aws iam "+op+"` grants administrator rights")
		a.add(CatCloud, LevelMedium, "changes IAM permissions in the cloud account")
	default:
		a.awsOperate(svc, op, l)
	}
}

// awsOperate rates deletions, scale-to-zero, stops and other changes.
func (a *assessor) awsOperate(svc, op, l string) {
	switch {
	case isDeleteVerb(op):
		a.add(CatCloud, awsDeleteLevel(svc, op, l), "`aws "+svc+" "+op+"` deletes or terminates cloud resources")
		if oneOf(svc, "cloudformation", "eks") || svc == "ecs" && strings.Contains(op, "cluster") {
			a.add(CatInfraTeardown, LevelCritical, "`aws "+svc+" "+op+"` tears down a whole stack or cluster")
		}
	case (oneOf(op, "update-service", "update-auto-scaling-group", "set-desired-capacity")) && (containsAny(l, "-count 0", "-capacity 0", "-count=0", "--max-size 0")):
		a.add(CatInfraTeardown, LevelHigh, "`aws "+svc+" "+op+"` scales a service down to zero")
	case op == "change-resource-record-sets" && containsAny(l, "DELETE", "file://delete"):
		a.add(CatCloud, LevelHigh, "`aws route53 "+op+"` deletes DNS records")
	case strings.HasPrefix(op, "leave-"):
		a.add(CatCloud, LevelMedium, "`aws "+svc+" "+op+"` leaves the organisation and its guardrails")
	case hasPrefixAny(op, "stop-", "reboot-", "disable-", "detach-", "revoke-", "modify-"):
		a.add(CatCloud, LevelMedium, "`aws "+svc+" "+op+"` changes or stops cloud resources")
	case svc == "ssm" && op == "send-command", svc == "ecs" && op == "execute-command":
		a.add(CatRemoteCode, LevelMedium, "`aws "+svc+" "+op+"` runs or replaces code on remote machines")
	case svc == "iam" && (hasPrefixAny(op, "create-", "put-", "update-", "attach-", "add-")):
		a.add(CatCloud, LevelMedium, "`aws iam "+op+"` changes who may do what in the cloud account")
	case hasPrefixAny(op, "create-", "put-", "update-", "run-", "attach-", "start-", "register-", "tag-") || oneOf(op, "deploy", "invoke"):
		a.add(CatCloud, LevelLow, "`aws "+svc+" "+op+"` creates or changes cloud resources")
	}
}

func isDeleteVerb(op string) bool {
	for _, v := range []string{"delete", "terminate", "remove", "deregister", "purge", "destroy", "schedule-key-deletion", "disassociate", "release-", "cancel-", "empty", "unsubscribe"} {
		if strings.HasPrefix(op, v) {
			return true
		}
	}
	return strings.Contains(op, "-delete-") || strings.HasSuffix(op, "-delete")
}

func awsDeleteLevel(svc, op, l string) Level {
	for _, c := range []string{"terminate-instances", "delete-db-instance", "delete-db-cluster", "delete-stack", "delete-bucket", "delete-table", "delete-cluster", "delete-file-system", "schedule-key-deletion", "delete-hosted-zone", "delete-repository", "delete-vpc", "delete-volume", "delete-snapshot", "delete-backup", "delete-log-group", "delete-user", "delete-role", "delete-secret", "delete-function", "delete-service", "delete-nodegroup", "delete-global-table", "delete-domain", "delete-replication-group", "delete-cache-cluster", "delete-key"} {
		if op == c {
			return LevelCritical
		}
	}
	if containsAny(l, "--skip-final-snapshot", "--force-delete-without-recovery") {
		return LevelCritical
	}
	return LevelHigh
}

func (a *assessor) s3(op string, p, args []arg, c ctx) {
	recursive := hasFlag(args, "--recursive")
	switch op {
	case "rm":
		if recursive {
			lvl := LevelCritical
			if b, key, _ := strings.Cut(strings.TrimPrefix(nth(p, 2), "s3://"), "/"); b != "" && strings.Trim(key, "/*") != "" {
				lvl = LevelHigh
			}
			a.add(CatCloud, lvl, "`aws s3 rm --recursive` deletes every object under "+quote(nth(p, 2)))
		} else {
			a.add(CatCloud, LevelLow, "`aws s3 rm` deletes the object "+quote(nth(p, 2)))
		}
	case "rb":
		lvl := LevelHigh
		if hasFlag(args, "--force") {
			lvl = LevelCritical
		}
		a.add(CatCloud, lvl, "`aws s3 rb` deletes the bucket "+quote(nth(p, 2)))
	case "sync", "cp", "mv":
		if op == "mv" && recursive {
			a.add(CatCloud, LevelLow, "`aws s3 mv --recursive` moves (copies, then deletes) every object under "+quote(nth(p, 2)))
		}
		if op == "sync" && hasFlag(args, "--delete") {
			lvl := LevelMedium
			if hasFlag(args, "--dryrun") {
				lvl = LevelLow
			}
			a.add(CatCloud, lvl, "`aws s3 sync --delete` deletes objects at the destination that are missing from the source")
		}
		if hasFlag(args, "--acl") && strings.Contains(flagValue(args, "--acl"), "public") {
			a.add(CatNetworkExposure, LevelHigh, "`aws s3 "+op+" --acl public-read` makes the uploaded files public")
		}
		if len(p) > 3 && strings.HasPrefix(p[3].s, "s3://") {
			if lvl, d := secretTier(p[2].s); lvl > LevelNone {
				a.add(CatExfiltration, LevelCritical, "`aws s3 "+op+"` uploads the credentials "+d)
			} else if t := pathTier(p[2]); t.lvl >= LevelHigh && !t.data && strings.HasPrefix(p[2].s, "/") {
				a.add(CatExfiltration, LevelHigh, "`aws s3 "+op+"` uploads "+t.desc)
			}
		}
	}
}

func nth(p []arg, i int) string {
	if i < len(p) {
		return p[i].s
	}
	return ""
}

func (a *assessor) gcloud(name string, args []arg, c ctx) {
	if name == "gsutil" {
		a.gsutil(args)
		return
	}
	p := positionals(args, "--project", "--zone", "--region", "--format", "--member", "--role", "--source-ranges", "--allow", "--rules", "--command", "--filter", "--image", "--account", "--configuration")
	l := joinArgs(args)
	if cmd := flagValue(args, "--command"); cmd != "" && len(p) > 1 && p[1].s == "ssh" {
		a.reparse(arg{s: cmd, static: true}, ctx{depth: c.depth + 1}, "`gcloud compute ssh --command`")
	}
	ps := strings.Join(firstN(p, 5), " ")
	if !a.gcloudAccess(ps, l, c) {
		a.gcloudChange(ps, l, p, args)
	}
}

// gcloudAccess rates credential reads, firewall openings and IAM grants.
func (a *assessor) gcloudAccess(ps, l string, c ctx) bool {
	switch {
	case containsAny(ps, "secrets versions access", "print-access-token", "print-identity-token", "keys create"):
		lvl := LevelHigh
		if c.piped || c.redirOut {
			lvl = LevelLow
		} else if strings.Contains(ps, "print-") {
			lvl = LevelMedium
		}
		a.add(CatSecrets, lvl, "`gcloud "+ps+"` reveals secret values or credentials")
	case strings.Contains(ps, "firewall-rules") && strings.Contains(l, "0.0.0.0/0"):
		a.add(CatNetworkExposure, LevelHigh, "`gcloud "+ps+"` opens a firewall rule to the whole internet")
		a.add(CatCloud, LevelMedium, "changes firewall rules in the cloud project")
	case strings.Contains(ps, "add-iam-policy-binding") && (containsAny(l, "roles/owner", "roles/editor", "allUsers", "admin")):
		a.add(CatPrivilege, LevelHigh, "`gcloud "+ps+"` grants owner/editor/admin or public access")
		a.add(CatCloud, LevelMedium, "changes IAM policy in the cloud project")
	default:
		return false
	}
	return true
}

// gcloudChange rates deletions, stops and changes of cloud resources.
func (a *assessor) gcloudChange(ps, l string, p, args []arg) {
	switch {
	case anyPos(p, "delete", "destroy") || anyPos(p, "rm") && strings.Contains(ps, "storage"):
		lvl := LevelHigh
		if anyPos(p, "projects", "clusters", "buckets", "databases") || anyPos(p, "instances") && anyPos(p, "sql") || hasFlag(args, "--recursive", "-r") {
			lvl = LevelCritical
		}
		a.add(CatCloud, lvl, "`gcloud "+ps+"` deletes cloud resources")
	case anyPos(p, "stop", "reset", "seek", "disable") || anyPos(p, "resize") && strings.Contains(l, "size=0"):
		a.add(CatCloud, LevelMedium, "`gcloud "+ps+"` stops or resizes cloud resources")
	case anyPos(p, "create", "deploy", "update", "set-iam-policy", "add-iam-policy-binding"):
		a.add(CatCloud, LevelLow, "`gcloud "+ps+"` creates or changes cloud resources")
	}
}

func (a *assessor) gsutil(args []arg) {
	p := positionals(args, "-h", "-o", "-u")
	if len(p) == 0 {
		return
	}
	switch p[0].s {
	case "rm":
		lvl := LevelLow
		if hasShort(args, 'r') || hasShort(args, 'R') || hasShort(args, 'a') || anyArg(p, func(x arg) bool { return hasSuffixAny(x.s, "/**", "/*") }) {
			lvl = LevelCritical
		}
		a.add(CatCloud, lvl, "`gsutil rm "+joinArgs(p[1:])+"` deletes Cloud Storage objects")
	case "rb":
		a.add(CatCloud, LevelHigh, "`gsutil rb` deletes a bucket")
	case "cp", "mv":
		for _, src := range p[1:] {
			if lvl, d := secretTier(src.s); lvl > LevelNone {
				a.add(CatExfiltration, LevelCritical, "`gsutil "+p[0].s+"` uploads the credentials "+d)
			}
		}
	case "rsync":
		if hasShort(args, 'd') {
			a.add(CatCloud, LevelMedium, "`gsutil rsync -d` deletes objects at the destination that are missing from the source")
		}
	case "iam", "acl":
		if strings.Contains(joinArgs(args), "allUsers") {
			a.add(CatNetworkExposure, LevelHigh, "`gsutil "+p[0].s+"` makes data public (allUsers)")
		}
	}
}

// anyPos reports whether one of the positional words is among ws.
func anyPos(p []arg, ws ...string) bool {
	return anyArg(p, func(x arg) bool { return oneOf(x.s, ws...) })
}

func (a *assessor) az(args []arg) {
	p := positionals(args, "-g", "--resource-group", "-n", "--name", "--subscription", "-o", "--output", "--query", "--vault-name", "--role", "--assignee", "--scope", "--source-address-prefixes", "--account-name", "-c", "--container-name", "--location", "-l")
	ps := strings.Join(firstN(p, 4), " ")
	l := joinArgs(args)
	switch {
	case hasPrefixAny(ps, "group delete", "aks delete") || containsAny(ps, "delete-batch", "account delete", "server delete", "keyvault purge"):
		a.add(CatCloud, LevelCritical, "`az "+ps+"` deletes a resource group, account or server with everything in it")
	case containsAny(ps, "secret show", "secret download", "keys list", "show-connection-string", "get-access-token", "list-keys") || strings.Contains(ps, "get-credentials") && strings.Contains(l, "--admin"):
		a.add(CatSecrets, LevelHigh, "`az "+ps+"` reveals secret values or credentials")
	case strings.Contains(ps, "role assignment create") && (containsAny(l, "Owner", "Contributor", "Administrator")):
		a.add(CatPrivilege, LevelHigh, "`az role assignment create` grants Owner/Contributor rights")
		a.add(CatCloud, LevelMedium, "changes role assignments in the Azure subscription")
	case strings.Contains(ps, "nsg rule") && (containsAny(l, "'*'", " * ", "0.0.0.0/0", "Internet")):
		a.add(CatNetworkExposure, LevelHigh, "`az "+ps+"` opens a network security group to the internet")
		a.add(CatCloud, LevelMedium, "changes network rules in the Azure subscription")
	default:
		a.azChange(ps, l, p)
	}
}

// azChange rates deletions, stops and changes of Azure resources.
func (a *assessor) azChange(ps, l string, p []arg) {
	switch {
	case strings.Contains(ps, "deployment") && containsAny(l, "--mode Complete", "--mode=Complete"):
		a.add(CatCloud, LevelHigh, "`az "+ps+" --mode Complete` deletes every resource in the group that the template does not list")
	case containsAny(l, "--delete-backup-data true", "--delete-backup-data=true"):
		a.add(CatCloud, LevelHigh, "`az "+ps+" --delete-backup-data` deletes the recovery points of the protected item")
	case anyPos(p, "delete", "purge"):
		a.add(CatCloud, LevelHigh, "`az "+ps+"` deletes cloud resources")
	case anyPos(p, "stop", "deallocate", "restart"):
		a.add(CatCloud, LevelMedium, "`az "+ps+"` stops or restarts cloud resources")
	case anyPos(p, "create", "update", "set", "deploy", "up"):
		a.add(CatCloud, LevelLow, "`az "+ps+"` creates or changes cloud resources")
	}
}

// cloudFamilies rates the big cloud CLIs and PaaS CLIs.
func cloudFamilies() []family {
	return []family{
		{[]string{"aws", "awslocal"}, onArgsCtx((*assessor).aws)},
		{[]string{"gcloud", "gsutil"}, (*assessor).gcloud},
		{[]string{"az"}, onArgs((*assessor).az)},
		{[]string{"heroku", "fly", "flyctl", "doctl", "vercel", "netlify", "firebase", "hcloud", "linode-cli", "railway", "render", "wrangler", "oci", "ibmcloud", "scw", "exo", "upctl"}, (*assessor).paas},
	}
}
