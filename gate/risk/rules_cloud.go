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

func (a *assessor) docker(name string, args []arg, c ctx) {
	valued := []string{"-H", "--host", "--context", "-c", "--config", "-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--log-level"}
	p := positionals(args, valued...)
	if len(p) == 0 {
		return
	}
	sub := p[0].s
	rest := args[indexOf(args, p[0])+1:]
	if sub == "compose" || name == "docker-compose" {
		a.compose(name, p, args, c)
		return
	}
	if oneOf(sub, "container", "image", "volume", "network", "system", "builder", "buildx", "stack", "service", "swarm", "node", "secret", "config", "plugin", "context") && len(p) > 1 {
		sub = sub + " " + p[1].s
		rest = args[indexOf(args, p[1])+1:]
	}
	switch sub {
	case "run", "create", "container run", "container create":
		a.dockerRun(name, rest)
	case "exec", "container exec":
		q := skipOpts(rest, "-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file", "--detach-keys")
		a.add(CatContainers, LevelLow, "runs a command inside a container with `"+name+" exec`")
		if hasFlag(rest[:len(rest)-len(q)], "--privileged") {
			a.add(CatContainers, LevelHigh, "`"+name+" exec --privileged` runs with full access to the host")
		}
		if len(q) > 1 {
			cc := c
			cc.depth++
			a.exec(q[1:], cc)
		}
	case "system reset", "system prune", "volume prune", "image prune", "container prune", "builder prune", "network prune", "volume rm", "buildx prune",
		"rm", "rmi", "container rm", "image rm", "kill", "stop", "container stop", "container kill":
		a.dockerRemove(name, sub, rest)
	case "secret rm", "config rm", "plugin rm":
		a.add(CatContainers, LevelMedium, "`"+name+" "+sub+"` deletes swarm secrets, configs or plugins that services use")
	case "network rm", "context rm", "buildx rm":
		a.add(CatContainers, LevelLow, "`"+name+" "+sub+"` removes a network, context or builder")
	case "swarm leave", "node rm", "service rm", "stack rm", "stack down", "swarm init --force-new-cluster":
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" "+sub+"` removes swarm services or nodes")
	case "login":
		if flagValue(rest, "-p", "--password") != "" {
			a.add(CatSecrets, LevelLow, "`"+name+" login -p` passes a password on the command line")
		}
	case "inspect", "container inspect":
		if strings.Contains(joinArgs(rest), "Env") {
			a.add(CatSecrets, LevelMedium, "`"+name+" inspect` prints the container's environment, which often holds secrets")
		}
	case "push", "container cp", "cp", "save", "export":
		a.add(CatContainers, LevelLow, "`"+name+" "+sub+"` moves images or files out of the local engine")
	}
}

// dockerRemove rates prune, rm, rmi, kill and stop.
func (a *assessor) dockerRemove(name, sub string, rest []arg) {
	switch sub {
	case "system reset":
		a.add(CatContainers, LevelHigh, "`"+name+" system reset` deletes every container, image and volume")
	case "system prune", "volume prune", "image prune", "container prune", "builder prune", "network prune", "volume rm", "buildx prune":
		lvl := LevelMedium
		switch {
		case sub == "volume prune" || sub == "volume rm" || sub == "system prune" && hasFlag(rest, "--volumes"):
			lvl = LevelHigh
		case sub == "system prune" && (hasShort(rest, 'a') || hasFlag(rest, "--all")):
			lvl = LevelHigh
		case sub == "image prune" && (hasShort(rest, 'a') || hasFlag(rest, "--all")):
			lvl = LevelMedium
		case oneOf(sub, "image prune", "builder prune", "buildx prune"):
			// Dangling images and build cache are rebuilt on demand.
			lvl = LevelLow
		}
		a.add(CatContainers, lvl, "`"+name+" "+sub+"` deletes containers, images or volumes (data in volumes is lost)")
	case "rm", "rmi", "container rm", "image rm", "kill", "stop", "container stop", "container kill":
		lvl := LevelLow
		if anyArg(rest, func(x arg) bool { return x.subst && !containsAny(x.innerS, "status=exited", "status=created", "status=dead") }) {
			switch {
			case oneOf(sub, "rmi", "image rm"):
				if !anyArg(rest, func(x arg) bool { return strings.Contains(x.innerS, "dangling") }) {
					lvl = LevelMedium
				}
			case oneOf(sub, "stop", "kill", "container stop", "container kill"):
				lvl = LevelMedium
			default:
				lvl = LevelHigh
			}
		}
		if (hasShort(rest, 'v') || hasFlag(rest, "--volumes")) && strings.HasSuffix(sub, "rm") {
			lvl = max(lvl, LevelMedium)
		}
		if hasShort(rest, 'f') || hasFlag(rest, "--force") || strings.HasSuffix(sub, "kill") {
			// Force-removing or killing skips the container's shutdown.
			lvl = max(lvl, LevelMedium)
		}
		a.add(CatContainers, lvl, "`"+name+" "+sub+" "+shorten(joinArgs(rest), 40)+"` removes or stops containers")
	}
}

func (a *assessor) dockerRun(name string, rest []arg) {
	a.add(CatContainers, LevelLow, "starts a container with `"+name+" run`")
	for i, x := range rest {
		s := x.s
		v := ""
		if i+1 < len(rest) {
			v = rest[i+1].s
		}
		if k, val, ok := strings.Cut(s, "="); ok && strings.HasPrefix(s, "--") {
			s, v = k, val
		}
		switch s {
		case "--privileged":
			a.add(CatContainers, LevelHigh, "`"+name+" run --privileged` gives the container full access to the host")
			a.add(CatPrivilege, LevelHigh, "a privileged container can take over the host as root")
		case "--net", "--network":
			if v == "host" {
				// Common for service containers in CI; no host files or processes.
				a.add(CatContainers, LevelLow, "`"+name+" run "+s+"=host` shares the host's network with the container")
			}
		case "--pid", "--ipc", "--userns", "--uts", "--cgroupns":
			if v == "host" {
				a.add(CatContainers, LevelHigh, "`"+name+" run "+s+"=host` shares the host's "+strings.TrimPrefix(s, "--")+" namespace with the container")
			}
		case "--cap-add":
			if oneOf(v, "ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "NET_ADMIN", "DAC_READ_SEARCH") {
				a.add(CatContainers, LevelHigh, "`"+name+" run --cap-add "+v+"` grants the container powerful host capabilities")
			}
		case "--security-opt":
			if containsAny(v, "unconfined", "no-new-privileges=false") {
				a.add(CatContainers, LevelHigh, "`"+name+" run --security-opt "+v+"` disables container confinement")
			}
		case "--device":
			a.add(CatContainers, LevelMedium, "`"+name+" run --device "+v+"` gives the container a host device")
		case "-v", "--volume", "--mount":
			a.dockerMount(name, v)
		}
	}
}

func (a *assessor) dockerMount(name, v string) {
	src := v
	if containsAny(v, "source=", "src=") {
		for _, kv := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(kv, "="); ok && (oneOf(k, "source", "src")) {
				src = val
			}
		}
	} else if i := strings.IndexByte(v, ':'); i >= 0 {
		src = v[:i]
	}
	switch {
	case oneOf(src, "/", "/etc", "/root", "/boot", "/var", "/usr", "/proc", "/sys", "/dev", "/home", "~", "$HOME"):
		a.add(CatContainers, LevelCritical, "`"+name+" run -v "+v+"` mounts the host's "+quote(src)+" into the container")
		a.add(CatPrivilege, LevelHigh, "the container gets root write access to the host's "+quote(src))
	case hasPrefixAny(src, "/etc/", "/root/", "/boot/", "/var/lib/", "/proc/", "/sys/", "/dev/"):
		a.add(CatContainers, LevelHigh, "`"+name+" run -v "+v+"` mounts the sensitive host path "+quote(src)+" into the container")
	case containsAny(src, "docker.sock", "containerd.sock"):
		a.add(CatContainers, LevelHigh, "`"+name+" run` mounts the container engine socket, which gives root on the host")
		a.add(CatPrivilege, LevelHigh, "the container can start privileged containers on the host")
	case containsAny(src, ".ssh", ".aws", ".kube"):
		a.add(CatSecrets, LevelMedium, "`"+name+" run` mounts credentials "+quote(src)+" into the container")
	}
}

func (a *assessor) compose(name string, p, args []arg, c ctx) {
	if oneOf(name, "docker", "podman") {
		p = p[1:]
	}
	if len(p) == 0 {
		return
	}
	switch p[0].s {
	case "down", "rm":
		if hasShort(args, 'v') || hasFlag(args, "--volumes", "--rmi") {
			a.add(CatContainers, LevelMedium, "`"+name+" compose down -v` deletes the project's volumes and their data")
		} else {
			a.add(CatContainers, LevelLow, "`"+name+" compose "+p[0].s+"` stops and removes the project's containers")
		}
	case "exec", "run":
		if len(p) > 2 {
			a.add(CatContainers, LevelLow, "runs a command in a compose service with `compose "+p[0].s+"`")
			q := args[indexOf(args, p[1])+1:]
			cc := c
			cc.depth++
			a.exec(q, cc)
		}
	case "kill":
		a.add(CatContainers, LevelLow, "`compose kill` stops the project's containers")
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

// containerFamilies rates container engines.
func containerFamilies() []family {
	return []family{
		{[]string{"docker", "podman", "nerdctl", "docker-compose", "finch"}, (*assessor).docker},
		{[]string{"crane", "gcrane", "skopeo", "regctl", "oras", "reg"}, table([]string{"--platform", "--creds", "--authfile"},
			subRule{"delete|rm", nil, CatContainers, LevelHigh, "deletes an image from the registry"},
			subRule{"tag|manifest|image|repo|artifact delete|rm", nil, CatContainers, LevelHigh, "deletes an image or tag from the registry"},
			subRule{"gc", nil, CatContainers, LevelMedium, "garbage-collects registry images"},
		)},
	}
}
