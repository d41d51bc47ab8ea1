package risk

import (
	"strings"
)

// diskDevice returns the first argument that is (or may be) a disk device.
func diskDevice(args []arg) string {
	for _, x := range positionals(args) {
		if isDevice(x.s) || !x.static && x.lead {
			return x.s
		}
	}
	return ""
}

// shred rates shred/wipe: a device is critical, files by their path.
func (a *assessor) shred(name string, args []arg) {
	if dev := diskDevice(args); dev != "" {
		a.add(CatDiskDevice, LevelCritical, "`"+name+"` overwrites the disk device "+quote(dev))
		return
	}
	t := target{lvl: LevelLow, desc: quote(joinArgs(positionals(args)))}
	for _, x := range positionals(args) {
		if tt := pathTier(x); tt.lvl > t.lvl {
			t = tt
		}
	}
	if t.lvl > LevelLow {
		t.lvl = max(t.lvl, LevelMedium)
	}
	a.add(CatDestructiveFS, t.lvl, "`"+name+"` irrecoverably overwrites "+t.desc)
}

// mountTool rates mount, umount, swapoff and losetup.
func (a *assessor) mountTool(name string, args []arg) {
	l := strings.ToLower(joinArgs(args))
	switch {
	case oneOf(name, "mount", "losetup"):
		if anyArg(args, func(x arg) bool { return x.s == "-o" }) && strings.Contains(l, "remount") {
			a.add(CatSystemProcess, LevelMedium, "`mount -o remount` changes how a mounted filesystem behaves")
		}
	case anyArg(args, func(x arg) bool { return oneOf(x.s, "/", "-a", "--all") }):
		a.add(CatSystemProcess, LevelHigh, "`"+name+"` unmounts or disables system storage ("+quote(l)+")")
	case name == "swapoff" || strings.Contains(l, "-l"):
		a.add(CatSystemProcess, LevelMedium, "`"+name+" "+l+"` detaches storage in use")
	}
}

// volumeTool rates ZFS, LVM, RAID, encryption and drive utilities.
func (a *assessor) volumeTool(name string, args []arg) {
	l := strings.ToLower(joinArgs(args))
	if containsAny(strings.ToLower(name+" "+l), "destroy", "pvcreate", "vgcreate", "--create", "zpool create", "labelclear", "lvremove", "vgremove", "pvremove", "--zero-superblock", "luksformat", "erase", "format", "--security-erase", "reformat", "partitiondisk", "secureerase", "--stop", "--fail", "luksremovekey") {
		a.add(CatDiskDevice, LevelCritical, "`"+name+" "+shorten(l, 50)+"` destroys a disk, volume or its data")
	}
}

// eraseTool rates format, wipefs, blkdiscard and badblocks -w.
func (a *assessor) eraseTool(name string, args []arg) {
	l := strings.ToLower(joinArgs(args))
	switch {
	case name == "format":
		if len(l) >= 2 && l[1] == ':' {
			a.add(CatDiskDevice, LevelCritical, "`format "+l+"` erases a drive")
		}
	case name != "badblocks" || hasShort(args, 'w'):
		a.add(CatDiskDevice, LevelCritical, "`"+name+"` erases data or signatures on "+quote(orDefault(diskDevice(args), l)))
	}
}

// partition rates partitioning tools unless they only list.
func (a *assessor) partition(name string, args []arg) {
	l := strings.ToLower(joinArgs(args))
	readOnly := hasShort(args, 'l') && oneOf(name, "fdisk", "sfdisk") || hasFlag(args, "--list", "-p", "--print", "print", "list", "status", "--detail", "-D", "--query", "info", "-I", "--examine", "-E") || l == "" || strings.HasPrefix(l, "-l")
	if readOnly {
		return
	}
	lvl := LevelHigh
	if containsAny(l, "mklabel", "--zap", " rm ", "-z", "--delete", "-o") {
		lvl = LevelCritical
	}
	a.add(CatDiskDevice, lvl, "`"+name+"` changes the partition table of "+quote(orDefault(diskDevice(args), l)))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// fileWrite handles commands that copy or write files: the destination may
// be a device or system file, the source may be a secret.
func (a *assessor) fileWrite(name string, args []arg, c ctx) {
	p := positionals(args, "-t", "-m", "-o", "-g", "-e", "-f", "--target-directory", "-S", "--suffix", "-s", "--size")
	switch name {
	case "cat":
		a.secretArgs(name, args, c)
	case "tee":
		for _, t := range p {
			a.writeTarget(t, hasShort(args, 'a') || hasFlag(args, "--append"), "`tee` writes", c)
		}
	case "truncate":
		a.truncate(p)
	case "sed":
		if !hasShort(args, 'i') && !hasFlag(args, "--in-place") {
			a.secretArgs(name, args, c)
			return
		}
		for _, t := range p[min(1, len(p)):] {
			a.writeTarget(t, true, "`sed -i` edits", c)
		}
	case "rsync":
		a.transfer(name, args, c)
	default:
		a.copyMove(name, p, args, c)
	}
}

func (a *assessor) truncate(p []arg) {
	for _, t := range p {
		if strings.HasPrefix(t.s, "/var/log/") {
			a.add(CatSystemProcess, LevelHigh, "`truncate` empties the log "+quote(t.s)+", erasing the record of what happened")
			continue
		}
		if tt := pathTier(t); tt.lvl >= LevelHigh && !tt.data || isDevice(t.s) {
			a.add(CatDestructiveFS, LevelHigh, "`truncate` empties "+tt.desc)
		}
	}
}

// copyMove rates cp/mv/install/ln: the destination may be a device or a
// system file, a source may be credentials, mv may move a system tree away.
func (a *assessor) copyMove(name string, p, args []arg, c ctx) {
	if len(p) < 2 {
		return
	}
	dst := p[len(p)-1]
	if hasFlag(args, "-t", "--target-directory") {
		dst = arg{s: flagValue(args, "-t", "--target-directory"), static: true}
	}
	a.writeTarget(dst, false, "`"+name+"` writes", c)
	for _, src := range p[:len(p)-1] {
		if lvl, d := secretTier(src.s); lvl > LevelNone {
			a.add(CatSecrets, LevelMedium, "`"+name+"` copies the credentials "+d+" to "+quote(dst.s))
		}
		if t := pathTier(src); name == "mv" && t.lvl >= LevelHigh && !t.data {
			a.add(CatDestructiveFS, t.lvl, "`mv` moves away "+t.desc)
		}
	}
	if name == "mv" && dst.s == "/dev/null" {
		a.add(CatDestructiveFS, LevelHigh, "`mv … /dev/null` destroys the moved files")
	}
}

// secretArgs reports arguments that name credential files being read.
func (a *assessor) secretArgs(name string, args []arg, c ctx) {
	switch name {
	case "cat", "tac", "less", "more", "head", "tail", "bat", "batcat", "nl", "od", "xxd", "hexdump", "strings", "base64", "base32",
		"gzip", "zcat", "tar", "zip", "unzip", "7z", "awk", "gawk", "sed", "grep", "egrep", "rg", "jq", "yq", "type", "xclip", "pbcopy", "bzip2", "xz", "sort", "uniq", "cut", "column", "fold", "curl", "wget":
	default:
		return
	}
	if name == "tar" && anyArg(args, func(x arg) bool {
		return containsAny(x.s, "--checkpoint-action=exec", "--to-command")
	}) {
		a.add(CatPrivilege, LevelHigh, "`tar --checkpoint-action=exec` runs an arbitrary command (a known shell escape)")
	}
	if oneOf(name, "tar", "unzip", "7z") {
		d := flagValue(args, "-C", "--directory", "-d")
		for _, x := range args {
			if name == "7z" && strings.HasPrefix(x.s, "-o") {
				d = x.s[2:]
			}
		}
		if oneOf(d, "/", "/etc", "/usr", "/bin", "/boot", "/lib") {
			a.add(CatDestructiveFS, LevelHigh, "`"+name+"` extracts an archive into "+quote(d)+", overwriting system files")
		}
	}
	if (oneOf(name, "grep", "egrep", "rg")) && huntsSecrets(args) {
		a.add(CatSecrets, LevelMedium, "`"+name+"` searches system or home directories for passwords, tokens or keys")
	}
	for _, x := range args {
		s := strings.TrimPrefix(x.s, "@")
		if i := strings.Index(s, "=@"); i >= 0 {
			s = s[i+2:]
		}
		lvl, d := secretTier(s)
		if lvl == LevelNone {
			if c.sink != "" && x.static && name != "curl" && name != "wget" && (hasPrefixAny(s, "/", "~")) {
				lvl := LevelMedium
				if hasPrefixAny(s, "/etc", "/var/log", "~", "/home", "/root") {
					lvl = LevelHigh
				}
				a.add(CatExfiltration, lvl, "sends the file "+quote(s)+" over the network through `"+c.sink+"`")
			}
			continue
		}
		switch {
		case c.sink != "":
			a.add(CatExfiltration, LevelCritical, "sends the credentials "+d+" over the network through `"+c.sink+"`")
		case oneOf(name, "curl", "wget"):
			a.add(CatExfiltration, LevelCritical, "uploads the credentials "+d+" with `"+name+"`")
		case c.redirOut:
			a.add(CatSecrets, LevelLow, "`"+name+"` copies the credentials "+d+" into a file")
		case c.piped:
			a.add(CatSecrets, max(LevelLow, lvl-1), "`"+name+"` reads the credentials "+d+" and pipes them on")
		default:
			a.add(CatSecrets, lvl, "`"+name+"` prints the sensitive file "+d+" (credentials or account data) into the log")
		}
	}
}

// huntsSecrets reports a search for credential words in system or home
// directories (searching a project's own source is routine).
func huntsSecrets(args []arg) bool {
	pattern, where := false, false
	for _, x := range args {
		l := strings.ToLower(x.s)
		for _, w := range []string{"password", "passwd", "secret", "token", "api_key", "apikey", "aws_secret", "private key", "begin rsa"} {
			if strings.Contains(l, w) {
				pattern = true
			}
		}
		if oneOf(x.s, "/", "~") || hasPrefixAny(x.s, "~/", "/etc", "/home", "/root", "/var") {
			where = true
		}
	}
	return pattern && where
}

// envDump reports commands that print every environment variable.
func (a *assessor) envDump(what string, c ctx) {
	switch {
	case c.sink != "":
		a.add(CatExfiltration, LevelCritical, "sends every environment variable (including secrets) over the network through `"+c.sink+"`")
	case c.quiet:
	case c.redirOut:
		a.add(CatSecrets, LevelMedium, "`"+what+"` writes every environment variable, including secrets, to a file")
	default:
		a.add(CatSecrets, LevelHigh, "`"+what+"` prints every environment variable, including secrets, into the log")
	}
}

// secretVar reports whether a variable name looks like it holds a secret.
func secretVar(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "TOKEN", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL", "AUTH_KEY", "CLIENT_SECRET", "SESSION_KEY", "SIGNING_KEY", "_PAT", "NPM_AUTH", "DATABASE_URL", "CONNECTION_STRING", "SSH_KEY", "DEPLOY_KEY", "WEBHOOK_URL", "KUBECONFIG_DATA", "PASSPHRASE"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return strings.HasSuffix(u, "_KEY") && !strings.HasSuffix(u, "_PUBLIC_KEY") || strings.HasSuffix(u, "_PASS") || oneOf(u, "PASS", "PAT")
}

// printSecret reports echo/printf of secret-looking variables.
func (a *assessor) printSecret(name string, args []arg, c ctx) {
	for _, x := range args {
		if strings.Contains(x.s, "::add-mask::") {
			// GitHub masks the value in the log from here on.
			return
		}
		if x.param == "" || !secretVar(x.param) {
			continue
		}
		v := quote("$" + x.param)
		switch {
		case c.sink != "":
			a.add(CatExfiltration, LevelCritical, "sends the secret "+v+" over the network through `"+c.sink+"`")
		case c.piped || c.redirOut:
			// Piping a token into "docker login --password-stdin" or
			// writing it to a key file is how secrets are meant to be used.
		default:
			a.add(CatSecrets, LevelHigh, "`"+name+"` prints the secret "+v+" into the log")
		}
		return
	}
}

func (a *assessor) su(args []arg, c ctx) {
	if v := flagValue(args, "-c", "--command"); v != "" {
		a.add(CatPrivilege, LevelLow, "runs a command as another user with `su -c`")
		cc := c
		cc.sudo = true
		a.reparse(arg{s: v, static: true}, cc, "`su -c`")
		return
	}
	a.add(CatPrivilege, LevelHigh, "`su` switches to another user (root by default) for an interactive shell")
}

func (a *assessor) process(name string, args []arg) {
	l := joinArgs(args)
	switch name {
	case "shutdown", "reboot", "halt", "poweroff", "kexec":
		if hasShort(args, 'c') && name == "shutdown" {
			return
		}
		a.add(CatSystemProcess, LevelCritical, "`"+strings.TrimSpace(name+" "+l)+"` shuts down or restarts the machine")
	case "init", "telinit":
		if oneOf(l, "0", "6", "1", "s") {
			a.add(CatSystemProcess, LevelCritical, "`"+name+" "+l+"` halts, reboots or drops the machine to single-user mode")
		}
	case "kill":
		a.kill(args)
	case "killall", "pkill", "killall5", "skill":
		a.killall(name, args)
	case "crontab":
		a.crontab(args)
	case "sysctl":
		if hasShort(args, 'w') || anyArg(args, func(x arg) bool { return strings.Contains(x.s, "=") }) {
			lvl := LevelMedium
			if containsAny(l, "vm.", "fs.inotify", "fs.file-max", "net.core.somaxconn") {
				lvl = LevelLow
			}
			a.add(CatSystemProcess, lvl, "`sysctl "+shorten(l, 40)+"` changes kernel settings at run time")
		}
	case "modprobe", "insmod", "rmmod":
		a.add(CatSystemProcess, LevelHigh, "`"+name+"` loads or removes a kernel module")
	case "setenforce":
		if l == "0" || strings.EqualFold(l, "permissive") {
			a.add(CatSystemProcess, LevelHigh, "`setenforce 0` disables SELinux enforcement")
		}
	case "history":
		if hasShort(args, 'c') {
			a.add(CatSystemProcess, LevelMedium, "`history -c` erases the shell history, hiding what was run")
		}
	}
}

// kill rates signals sent to every process or to init.
func (a *assessor) kill(args []arg) {
	l := joinArgs(args)
	for _, x := range positionals(args) {
		if oneOf(x.s, "-1", "1") {
			a.add(CatSystemProcess, LevelCritical, "`kill "+l+"` signals every process (or init), taking the machine down")
			return
		}
	}
	if anyArg(args, func(x arg) bool { return x.s == "-1" }) && (hasShort(args, '9') || hasFlag(args, "-KILL", "-SIGKILL", "-s")) {
		a.add(CatSystemProcess, LevelCritical, "`kill "+l+"` signals every process, taking the machine down")
		return
	}
	if anyArg(args, func(x arg) bool { return x.subst && (oneOf(x.inner, "ps", "ls")) }) {
		a.add(CatSystemProcess, LevelHigh, "`kill` signals every process listed by `ps`, which can take the machine down")
	} else if anyArg(args, func(x arg) bool { return x.subst }) {
		a.add(CatSystemProcess, LevelLow, "`kill` stops processes selected at run time")
	} else if hasShort(args, '9') || hasFlag(args, "-KILL", "-SIGKILL") {
		a.add(CatSystemProcess, LevelLow, "`kill "+l+"` force-kills a process without letting it clean up")
	}
}

func c0(args []arg) string {
	if len(args) == 0 {
		return ""
	}
	return args[0].s
}

// sysFamilies rates environment dumps, processes, services, firewalls and su.
func sysFamilies() []family {
	return []family{
		{[]string{"echo", "printf", "print"}, (*assessor).printSecret},
		{[]string{"printenv"}, (*assessor).printenv},
		{[]string{"set"}, func(a *assessor, _ string, args []arg, c ctx) {
			if len(args) == 0 {
				a.envDump("set", c)
			}
		}},
		{[]string{"compgen"}, func(a *assessor, _ string, args []arg, c ctx) {
			if hasShort(args, 'v') || hasShort(args, 'e') {
				a.envDump("compgen -v", c)
			}
		}},
		{[]string{"shutdown", "reboot", "halt", "poweroff", "kexec", "init", "telinit", "kill", "killall", "pkill", "killall5", "skill",
			"crontab", "sysctl", "modprobe", "insmod", "rmmod", "setenforce", "history"}, onNameArgs((*assessor).process)},
		{[]string{"systemctl", "service", "launchctl", "rc-service", "sv"}, onNameArgs((*assessor).service)},
		{[]string{"iptables", "ip6tables", "iptables-legacy", "iptables-nft", "nft", "ufw", "firewall-cmd"}, onNameArgs((*assessor).firewall)},
		{[]string{"su"}, onArgsCtx((*assessor).su)},
	}
}

func (a *assessor) printenv(_ string, args []arg, c ctx) {
	p := positionals(args)
	switch {
	case len(p) == 0:
		a.envDump("printenv", c)
	case secretVar(p[0].s) && c.sink == "" && !c.piped && !c.redirOut:
		a.add(CatSecrets, LevelHigh, "`printenv "+p[0].s+"` prints a secret into the log")
	case secretVar(p[0].s) && c.sink != "":
		a.add(CatExfiltration, LevelCritical, "sends the secret `"+p[0].s+"` over the network through `"+c.sink+"`")
	}
}

// killall rates killing processes by name: init, sshd, the container
// runtime or every root process take the machine or its service down.
func (a *assessor) killall(name string, args []arg) {
	l := joinArgs(args)
	lvl := LevelMedium
	if anyArg(args, func(x arg) bool {
		return oneOf(x.s, "-HUP", "-USR1", "-USR2", "-SIGHUP", "-0")
	}) {
		lvl = LevelLow
	}
	if flagValue(args, "-u", "--user") == "root" && (oneOf(name, "killall", "pkill")) {
		a.add(CatSystemProcess, LevelCritical, "`"+name+" "+shorten(l, 40)+"` kills every process of root, taking the machine down")
		return
	}
	if name == "killall5" || anyArg(args, func(x arg) bool {
		switch x.s {
		case "sshd", "systemd", "init", "dockerd", "containerd", "kubelet", "-u", "root", "bash", "sh", "java", "node", "python", "postgres", "mysqld":
			return true
		}
		return false
	}) {
		lvl = LevelHigh
	}
	a.add(CatSystemProcess, lvl, "`"+name+" "+shorten(l, 40)+"` kills every matching process")
}

func (a *assessor) crontab(args []arg) {
	switch {
	case hasShort(args, 'r'):
		a.add(CatSystemProcess, LevelHigh, "`crontab -r` deletes all scheduled jobs of the user")
	case hasShort(args, 'l'):
	case len(positionals(args, "-u")) > 0 || c0(args) == "-":
		a.add(CatSystemProcess, LevelMedium, "`crontab` replaces the scheduled jobs of the user (persistence)")
	}
}
