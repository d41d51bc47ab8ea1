package risk

import (
	"strings"
)

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
		lvl := dockerRemoveLevel(sub, rest)
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

// dockerRemoveLevel rates rm/rmi/stop/kill by what they select: a list
// produced at run time ($(docker ps -aq)) can be everything, unless it
// filters exited containers or dangling images.
func dockerRemoveLevel(sub string, rest []arg) Level {
	if !anyArg(rest, func(x arg) bool {
		return x.subst && !containsAny(x.innerS, "status=exited", "status=created", "status=dead")
	}) {
		return LevelLow
	}
	switch {
	case oneOf(sub, "rmi", "image rm"):
		if anyArg(rest, func(x arg) bool { return strings.Contains(x.innerS, "dangling") }) {
			return LevelLow
		}
		return LevelMedium
	case oneOf(sub, "stop", "kill", "container stop", "container kill"):
		return LevelMedium
	}
	return LevelHigh
}
