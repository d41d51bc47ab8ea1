package risk

import (
	"strings"
)

func (a *assessor) dbAdmin(name string, args []arg) {
	l := joinArgs(args)
	switch name {
	case "dropdb", "pg_dropcluster":
		a.add(CatDatabase, LevelCritical, "`"+name+" "+shorten(l, 40)+"` drops a whole database")
	case "dropuser":
		a.add(CatDatabase, LevelHigh, "`dropuser` deletes a database role")
	case "mysqladmin":
		switch {
		case anyPos(positionals(args), "drop"):
			a.add(CatDatabase, LevelCritical, "`mysqladmin drop` drops a whole database")
		case anyPos(positionals(args), "shutdown"):
			a.add(CatDatabase, LevelHigh, "`mysqladmin shutdown` stops the database server")
		}
	case "mongorestore", "pg_restore":
		if hasFlag(args, "--drop", "--clean", "-c") {
			a.add(CatDatabase, LevelHigh, "`"+name+" --drop/--clean` drops existing data before restoring")
		} else {
			a.add(CatDatabase, LevelLow, "`"+name+"` restores data into a database")
		}
	}
}

// localPkg rates dpkg and rpm, which install or remove package files.
func (a *assessor) localPkg(name string, args []arg) {
	if hasShort(args, 'i') || hasFlag(args, "--install") || hasShort(args, 'U') {
		a.add(CatPackageInstall, LevelLow, "`"+name+"` installs a local package file")
	}
	if hasFlag(args, "--purge", "-P", "-r", "--remove", "-e", "--erase") {
		a.add(CatPackageInstall, LevelLow, "`"+name+"` removes packages")
	}
}

// goTool rates go install/get/run of remote modules.
func (a *assessor) goTool(_ string, args []arg) {
	p := positionals(args, "-o", "-C", "-p", "-tags", "-ldflags", "-gcflags", "-mod", "-modfile")
	switch nth(p, 0) {
	case "install", "get":
		a.pkgInstall("go", p, args)
	case "run":
		if len(p) > 1 && strings.Contains(p[1].s, "@") {
			a.add(CatPackageInstall, LevelLow, "`go run "+p[1].s+"` downloads and runs a Go program")
		}
	}
}

func (a *assessor) pkg(name string, args []arg) {
	p := positionals(args, "-o", "-t", "--target", "-c", "-e", "-r", "--requirement", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--root", "--prefix", "-C", "-p", "--python", "--version", "--source", "-n", "--name", "--channel")
	if len(p) == 0 {
		return
	}
	verb := p[0].s
	if oneOf(name, "pacman", "yay") && len(args) > 0 && len(args[0].s) > 1 && args[0].s[0] == '-' {
		// pacman's operation is its first flag: -S installs, -R removes.
		switch args[0].s[1] {
		case 'S', 'U':
			verb, p = "-S", append([]arg{{s: "-S", static: true}}, p...)
		case 'R':
			verb, p = "-R", append([]arg{{s: "-R", static: true}}, p...)
		}
	}
	switch verb {
	case "install", "i", "add", "get", "-S", "-Sy", "-Syu", "-U", "localinstall", "reinstall", "upgrade", "dist-upgrade", "full-upgrade", "update", "-i", "-ivh", "-Uvh", "sync", "ensure", "require":
		if verb == "update" && !oneOf(name, "brew", "gem", "snap", "conda", "pip") || verb == "upgrade" && len(p) == 1 && name != "pip" {
			return
		}
		a.pkgInstall(name, p, args)
	case "yank":
		lvl := LevelHigh
		if name == "cargo" {
			lvl = LevelMedium
		}
		a.add(CatPackageInstall, lvl, "`"+name+" yank` withdraws a published version that others depend on")
	case "remove", "purge", "erase", "uninstall", "autoremove", "-R", "-Rns", "-e", "del", "-r":
		lvl := LevelLow
		if anyArg(p[1:], systemPackage) {
			lvl = LevelHigh
		}
		a.add(CatPackageInstall, lvl, "`"+name+" "+verb+"` removes system packages")
	}
}

// pkgInstall rates an install: from the registry low, unverified or from a
// URL or archive medium, offensive tools medium.
func (a *assessor) pkgInstall(name string, p, args []arg) {
	lvl := LevelLow
	why := "installs packages from the network"
	if hasFlag(args, "--allow-unauthenticated", "--nogpgcheck", "--no-gpg-check", "--allow-untrusted", "--trusted-host", "--insecure", "--force-yes", "--no-verify", "--no-check-certificate") || strings.Contains(joinArgs(args), "http://") {
		lvl, why = LevelMedium, "installs packages without verifying their origin"
	}
	if name != "go" && anyArg(p[1:], func(x arg) bool {
		return strings.Contains(x.s, "://") && !strings.HasPrefix(x.s, "git+https://github.com") || hasSuffixAny(x.s, ".deb", ".rpm") || strings.HasSuffix(x.s, ".whl") && strings.Contains(x.s, "http")
	}) {
		lvl, why = LevelMedium, "installs a package straight from a URL or local archive"
	}
	for _, x := range p[1:] {
		if oneOf(x.s, "netcat", "netcat-traditional", "netcat-openbsd", "ncat", "nmap", "hydra", "john", "hashcat", "masscan", "tor", "proxychains", "proxychains4", "socat", "sqlmap", "nikto", "aircrack-ng", "tcpdump", "wireshark", "tshark", "ettercap") {
			lvl, why = max(lvl, LevelMedium), "installs "+quote(x.s)+", a network or offensive tool"
		}
	}
	a.add(CatPackageInstall, lvl, "`"+name+" "+shorten(strings.Join(firstN(p, 4), " "), 50)+"` "+why)
}

// systemPackage reports packages whose removal breaks logins, sudo or boot.
func systemPackage(x arg) bool {
	return hasPrefixAny(x.s, "linux-image", "kernel-") || oneOf(strings.TrimSuffix(x.s, "*"), "sudo", "openssh-server", "systemd", "libc6", "glibc", "bash", "coreutils", "apt", "dpkg", "python3", "linux-image", "grub", "grub2", "kernel", "yum", "dnf", "rpm", "openssl")
}

func (a *assessor) paas(name string, args []arg, c ctx) {
	p := positionals(args, "-a", "--app", "-r", "--remote", "-c", "--config", "--project", "--token", "-t", "--scope", "--region", "-s")
	if len(p) > 1 && (oneOf(p[0].s, "run", "run:detached")) && (oneOf(name, "heroku", "railway", "render")) {
		cc := c
		cc.depth++
		a.add(CatRemoteCode, LevelLow, "runs a one-off command on the `"+name+"` app")
		a.exec(p[1:], cc)
		return
	}
	l := strings.ToLower(strings.Join(firstN(p, 4), " "))
	switch {
	case strings.Contains(l, "destroy") || strings.Contains(l, "pg:reset") || strings.Contains(l, "projects:delete") || strings.Contains(l, "firestore:delete") && hasFlag(args, "--all-collections", "-r", "--recursive") || containsAny(l, "database:remove", "apps delete", "apps:delete"):
		a.add(CatCloud, LevelCritical, "`"+name+" "+l+"` destroys an application, project or database")
	case containsAny(l, "delete", "remove", " rm") || strings.HasPrefix(l, "rm") || containsAny(l, "firestore:delete", "terminate"):
		a.add(CatCloud, LevelHigh, "`"+name+" "+l+"` deletes cloud resources")
	case strings.HasPrefix(l, "config") && name == "heroku" && !strings.Contains(l, "config:set") && !strings.Contains(l, "config:unset"):
		a.add(CatSecrets, LevelHigh, "`heroku "+l+"` prints the app's configuration, which holds its secrets")
	case containsAny(l, "secrets list", "auth token", "auth:token"):
		a.add(CatSecrets, LevelMedium, "`"+name+" "+l+"` prints application configuration or tokens")
	case strings.Contains(l, "scale") && strings.Contains(l, "=0"), strings.Contains(l, "maintenance:on"), l == "down", strings.Contains(l, "ps:stop"), strings.Contains(l, "scale count 0"):
		a.add(CatCloud, LevelHigh, "`"+name+" "+l+"` takes the application offline")
	case containsAny(l, "deploy", "release", "create", "publish", "promote"):
		a.add(CatCloud, LevelLow, "`"+name+" "+l+"` deploys or creates cloud resources")
	}
}

func (a *assessor) secretTool(name string, args []arg, c ctx) {
	p := positionals(args, "-field", "-format", "-mount", "-address", "--vault", "--account", "-p", "--project", "-c", "--config", "-s", "-a", "--env", "-e", "--output-type", "--input-type", "-o", "--output", "-r", "--recipient", "-i", "--identity")
	l := strings.ToLower(strings.Join(firstN(p, 3), " "))
	if a.secretDelete(name, l, args) {
		return
	}
	lvl := a.secretReadLevel(name, l, p, args)
	if lvl == LevelNone {
		return
	}
	if c.piped || c.redirOut {
		lvl = max(LevelLow, lvl-2)
	}
	if c.sink != "" {
		a.add(CatExfiltration, LevelCritical, "sends secrets read with `"+name+"` over the network through `"+c.sink+"`")
		return
	}
	a.add(CatSecrets, lvl, "`"+name+" "+l+"` reveals secret values")
}

func (a *assessor) fleet(name string, args []arg, c ctx) {
	mod := flagValue(args, "-m", "--module-name")
	cmd := flagValue(args, "-a", "--args")
	if name == "ansible" && cmd != "" && (oneOf(mod, "shell", "command", "raw", "")) {
		a.add(CatRemoteCode, LevelLow, "runs a shell command on many hosts with `ansible`")
		a.reparse(arg{s: cmd, static: true}, ctx{depth: c.depth + 1}, "`ansible -a`")
		return
	}
	if name == "ansible-playbook" {
		a.opaque(name + " " + joinArgs(args))
		return
	}
	if strings.HasPrefix(name, "p") || name == "clush" {
		p := positionals(args, "-h", "-H", "-w", "-l", "-g", "-p", "-t", "-O", "-x")
		if len(p) > 0 {
			a.reparse(arg{s: joinArgs(p), static: true}, ctx{depth: c.depth + 1}, "`"+name+"`")
		}
	}
}

func (a *assessor) buildTool(name string, args []arg) {
	p := positionals(args, "-f", "--file", "-C", "--directory", "-j", "--jobs", "-I", "--prefix", "-w", "--workspace", "--filter", "-F")
	if name == "rimraf" {
		a.rm("rimraf", args, ctx{})
		return
	}
	if len(p) == 0 {
		return
	}
	switch name {
	case "npm", "yarn", "pnpm", "bun":
		switch p[0].s {
		case "install", "i", "add", "ci", "update", "up", "upgrade":
			if hasShort(args, 'g') || hasFlag(args, "--global", "global") || p[0].s == "global" {
				a.add(CatPackageInstall, LevelLow, "`"+name+" "+p[0].s+" -g` installs packages globally from the network")
			}
			if len(p) > 1 && strings.Contains(p[1].s, "://") {
				a.add(CatPackageInstall, LevelMedium, "`"+name+" add` installs a package straight from a URL")
			} else if len(p) > 1 && p[0].s != "ci" {
				// Like pip install x: a named package and its install
				// scripts come from the registry.
				a.add(CatPackageInstall, LevelLow, "`"+name+" "+p[0].s+" "+shorten(strings.Join(firstN(p[1:], 3), " "), 40)+"` installs packages from the registry")
			}
		case "global":
			a.add(CatPackageInstall, LevelLow, "`"+name+" global` installs packages globally from the network")
		case "publish", "unpublish", "deprecate":
			lvl := LevelLow
			if p[0].s == "unpublish" {
				lvl = LevelHigh
			}
			a.add(CatPackageInstall, lvl, "`"+name+" "+p[0].s+"` changes a published package in the registry")
		case "run", "run-script", "test", "start", "build", "lint", "exec", "x", "dlx", "create", "init":
		default:
			if name != "npm" && !knownTool(p[0].s) {
				a.packageScript(name, p[0].s)
			}
		}
		return
	}
	for _, t := range p {
		if strings.Contains(t.s, "=") {
			continue
		}
		l := strings.ToLower(t.s)
		for _, w := range []string{"destroy", "drop", "nuke", "teardown", "wipe", "purge", "reset-db", "db-reset", "clean-all", "delete", "uninstall-all"} {
			if strings.Contains(l, w) {
				a.add(CatOpaqueScript, LevelMedium, "`"+name+" "+t.s+"` runs a build target whose recipe is not visible here; its name suggests it deletes things")
				return
			}
		}
		if containsAny(l, "deploy", "release", "migrate", "publish", "prod", "apply", "rollback") {
			a.add(CatOpaqueScript, LevelLow, "`"+name+" "+t.s+"` runs a build target whose recipe is not visible here")
			return
		}
	}
}

// windows handles PowerShell and cmd.exe deletions and power commands.
func (a *assessor) windows(name string, args []arg) {
	l := strings.ToLower(joinArgs(args))
	switch name {
	case "Clear-Disk", "Format-Volume":
		a.add(CatDiskDevice, LevelCritical, "`"+name+"` erases a disk or volume")
		return
	case "Stop-Computer", "Restart-Computer":
		a.add(CatSystemProcess, LevelCritical, "`"+name+"` shuts down or restarts the machine")
		return
	}
	recursive := containsAny(l, "-recurse", "-r ", "/s")
	if !recursive {
		return
	}
	lvl := LevelMedium
	for _, x := range args {
		s := strings.ToLower(strings.Trim(x.s, `"'`))
		if len(s) >= 2 && s[1] == ':' && len(strings.Trim(s[2:], `\/*`)) == 0 || oneOf(s, "/", "~") || hasPrefixAny(s, "$env:userprofile", "$home", `c:\windows`, `c:\users`, "c:windows", "c:users") {
			lvl = LevelCritical
		}
	}
	a.add(CatDestructiveFS, lvl, "`"+name+"` recursively deletes "+quote(l))
}

// dataStore handles key-value stores and brokers whose CLIs delete data.
func (a *assessor) dataStore(name string, args []arg) {
	l := strings.ToLower(joinArgs(args))
	switch {
	case name == "etcdctl" && (strings.HasPrefix(l, "del") || strings.Contains(l, " del ")):
		lvl := LevelHigh
		if containsAny(l, "--prefix", "--from-key") {
			lvl = LevelCritical
		}
		a.add(CatDatabase, lvl, "`etcdctl del` deletes keys from etcd (cluster state)")
	case strings.HasPrefix(name, "kafka") && strings.Contains(l, "--delete"):
		a.add(CatDatabase, LevelHigh, "`"+name+" --delete` deletes Kafka topics or consumer groups with their data")
	case name == "influx" && strings.Contains(l, "delete"):
		a.add(CatDatabase, LevelHigh, "`influx "+shorten(l, 40)+"` deletes time-series data")
	case name == "nodetool" && (containsAny(l, "decommission", "removenode", "clearsnapshot")):
		a.add(CatDatabase, LevelHigh, "`nodetool "+l+"` removes a Cassandra node or its data")
	case name == "cqlsh":
		if v := flagValue(args, "-e", "--execute"); v != "" {
			a.sql(name, v)
		}
	}
}

func (a *assessor) otherInfra(name string, args []arg) {
	p := positionals(args, "-n", "--namespace", "-address", "-token", "-r", "--runtime-endpoint")
	l := strings.ToLower(strings.Join(firstN(p, 3), " "))
	switch {
	case name == "consul" && strings.Contains(l, "delete") && hasFlag(args, "-recurse"):
		a.add(CatInfraTeardown, LevelHigh, "`consul kv delete -recurse` deletes a whole key tree")
	case name == "vagrant" && strings.Contains(l, "destroy"):
		a.add(CatInfraTeardown, LevelMedium, "`vagrant destroy` deletes local virtual machines")
	case containsAny(l, "destroy", "undefine", "purge") || hasFlag(args, "--purge", "-purge") || strings.HasPrefix(l, "job stop") && hasFlag(args, "-purge"):
		a.add(CatInfraTeardown, LevelHigh, "`"+name+" "+l+"` destroys virtual machines or jobs")
	case name == "openstack" && strings.Contains(l, "delete"):
		a.add(CatCloud, LevelHigh, "`openstack "+l+"` deletes cloud resources")
	case strings.Contains(l, "delete") || strings.HasPrefix(l, "rm") || containsAny(l, " rm", "stop"):
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" "+l+"` stops or deletes workloads")
	case containsAny(l, "kv get", "acl token"):
		a.add(CatSecrets, LevelLow, "`"+name+" "+l+"` may reveal secret values")
	}
}

// pkgFamilies rates package managers and build tools.
func pkgFamilies() []family {
	return []family{
		{[]string{"apt", "apt-get", "aptitude", "yum", "dnf", "microdnf", "apk", "zypper", "pacman", "yay", "brew", "port", "snap", "flatpak", "choco", "winget", "scoop",
			"pip", "pipx", "conda", "mamba", "micromamba", "gem", "cargo", "nix-env", "emerge", "pkg", "opkg", "luarocks", "cpan", "cpanm", "composer"}, onNameArgs((*assessor).pkg)},
		{[]string{"dpkg", "rpm"}, onNameArgs((*assessor).localPkg)},
		{[]string{"go"}, onNameArgs((*assessor).goTool)},
		{[]string{"make", "gmake", "just", "task", "mage", "invoke", "nx", "turbo", "lerna", "gradle", "gradlew", "mvn", "mvnw", "sbt", "npm", "yarn", "pnpm", "bun"}, onNameArgs((*assessor).buildTool)},
	}
}

// secretFamilies rates secret managers.
func secretFamilies() []family {
	return []family{
		{[]string{"vault", "sops", "ansible-vault", "op", "doppler", "infisical", "bw", "lpass", "security", "gopass", "pass", "chamber", "berglas", "age", "kubeseal"}, (*assessor).secretTool},
	}
}

// secretDelete rates secret managers deleting secrets, vaults or keys:
// whatever depended on them stops working and may not be recoverable.
func (a *assessor) secretDelete(name, l string, args []arg) bool {
	words := strings.Fields(l)
	verb := ""
	for i, w := range words {
		if i > 2 {
			break
		}
		switch w {
		case "delete", "rm", "remove", "destroy", "purge", "revoke", "disable", "del", "archive":
			verb = w
		}
		if verb != "" {
			words = words[:i]
			break
		}
	}
	if verb == "" || oneOf(name, "sops", "age", "security") {
		return false
	}
	what := strings.Join(words, " ")
	lvl, ok := secretDeleteLevel(name, what, verb, args)
	if !ok {
		return false
	}
	a.add(CatCloud, lvl, "`"+strings.TrimSpace(name+" "+what+" "+verb)+"` deletes secrets or the access that depends on them")
	return true
}

// secretReadLevel rates secret-manager subcommands that print secrets.
func (a *assessor) secretReadLevel(name, l string, p, args []arg) Level {
	switch name {
	case "vault":
		switch {
		case hasPrefixAny(l, "read", "kv get", "token create", "print token"):
			return LevelHigh
		case hasPrefixAny(l, "operator seal", "operator raft remove"):
			a.add(CatCloud, LevelHigh, "`vault "+l+"` changes Vault's availability or access")
		}
	case "sops", "ansible-vault", "age":
		if hasShort(args, 'd') || hasFlag(args, "--decrypt", "decrypt", "view") || hasPrefixAny(l, "decrypt", "view") {
			return LevelMedium
		}
	case "op", "bw", "lpass", "gopass", "pass", "chamber", "berglas", "doppler", "infisical":
		if hasPrefixAny(l, "read", "item get", "get", "show", "export", "secrets get", "secrets download", "access") || l == "secrets" || strings.HasPrefix(l, "list") && name == "chamber" {
			return LevelHigh
		}
		if name == "pass" && len(p) > 0 && !hasPrefixAny(l, "insert", "init") {
			return LevelHigh
		}
	case "security":
		if strings.HasPrefix(l, "find-") && hasShort(args, 'w') || strings.HasPrefix(l, "dump-keychain") {
			return LevelHigh
		}
	}
	return LevelNone
}

// secretDeleteLevel rates one secret-manager deletion: a whole vault,
// project or secrets engine is critical, a token or lease revoke medium.
func secretDeleteLevel(name, what, verb string, args []arg) (Level, bool) {
	if name == "vault" {
		switch what + " " + verb {
		case "secrets disable":
			return LevelCritical, true
		case "token revoke":
			return LevelMedium, true
		case "lease revoke":
			if !hasFlag(args, "-prefix", "-force") {
				return LevelMedium, true
			}
		}
		return LevelHigh, true
	}
	switch {
	case oneOf(what, "vault", "project", "projects", "environments", "environment", "org"):
		return LevelCritical, true
	case verb == "archive" && name == "op" && oneOf(what, "item", "document"):
		return LevelMedium, true
	case verb == "archive":
		return LevelNone, false
	}
	return LevelHigh, true
}
