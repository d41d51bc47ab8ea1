package risk

import (
	"strings"
)

// fsFamilies rates deletions, permission changes, filesystems and raw disks.
func fsFamilies() []family {
	return []family{
		{[]string{"rm", "rmdir", "unlink", "srm", "trash", "rimraf", "del-cli"}, (*assessor).rm},
		{[]string{"find", "fd", "fdfind"}, (*assessor).find},
		{[]string{"chmod"}, onArgs((*assessor).chmod)},
		{[]string{"chown", "chgrp"}, onNameArgs((*assessor).chown)},
		{[]string{"chattr", "setfacl"}, onNameArgs((*assessor).attrs)},
		{[]string{"dd"}, onArgs((*assessor).dd)},
		{[]string{"mkfs*", "mke2fs*", "newfs*", "mkswap"}, onNameArgs((*assessor).mkfs)},
		{[]string{"shred", "wipe"}, onNameArgs((*assessor).shred)},
		{[]string{"umount", "swapoff", "mount", "losetup"}, onNameArgs((*assessor).mountTool)},
		{[]string{"zpool", "zfs", "lvremove", "vgremove", "pvremove", "pvcreate", "vgcreate", "mdadm", "cryptsetup", "nvme", "diskutil", "hdparm"}, onNameArgs((*assessor).volumeTool)},
		{[]string{"format", "wipefs", "blkdiscard", "badblocks"}, onNameArgs((*assessor).eraseTool)},
		{[]string{"sgdisk", "fdisk", "sfdisk", "gdisk", "cfdisk", "parted"}, onNameArgs((*assessor).partition)},
		{[]string{"cp", "mv", "install", "ln", "tee", "rsync", "sed", "truncate", "cat", "perl-i"}, (*assessor).fileWrite},
		{[]string{"Remove-Item", "ri", "del", "erase", "rd", "Clear-Disk", "Format-Volume", "Stop-Computer", "Restart-Computer"}, onNameArgs((*assessor).windows)},
	}
}

func (a *assessor) attrs(name string, args []arg) {
	if anyArg(args, func(x arg) bool {
		return strings.Contains(x.s, "i") && (x.s[0] == '+' || x.s[0] == '-') && len(x.s) <= 3
	}) || name == "setfacl" {
		a.add(CatPermissions, LevelMedium, "`"+name+"` changes file attributes or ACLs ("+quote(joinArgs(args))+")")
	}
}

func (a *assessor) rm(name string, args []arg, c ctx) {
	for _, t := range positionals(args) {
		if hasSuffixAny(t.s, "_history", "/wtmp", "/btmp", "/lastlog") || oneOf(t.s, "/var/log/auth.log", "/var/log/secure") {
			a.add(CatSystemProcess, LevelHigh, "`"+name+"` deletes "+quote(t.s)+", erasing the record of what was run")
		}
	}
	recursive := hasShort(args, 'r') || hasShort(args, 'R') || hasFlag(args, "--recursive") || name == "rimraf" || name == "del-cli" || name == "rmdir" && hasShort(args, 'p')
	if hasFlag(args, "--no-preserve-root") {
		a.add(CatDestructiveFS, LevelCritical, "`rm --no-preserve-root` explicitly allows deleting the root filesystem")
	}
	verb := "`" + name + "`"
	if recursive {
		verb = "`" + name + " -r`"
		if hasShort(args, 'f') || hasFlag(args, "--force") {
			verb = "`" + name + " -rf`"
		}
	}
	var worst target
	for _, t := range positionals(args) {
		tt := pathTier(t)
		if !recursive {
			tt = fileTier(t, tt)
		}
		if tt.lvl > worst.lvl || worst.desc == "" {
			worst = tt
		}
	}
	if worst.desc == "" {
		return
	}
	if name == "rmdir" && !recursive {
		worst.lvl = min(worst.lvl, LevelLow)
	}
	a.add(CatDestructiveFS, worst.lvl, verb+" deletes "+worst.desc)
	if strings.Contains(worst.desc, "repository's history") {
		a.add(CatVCSRewrite, worst.lvl, "every local commit, branch and stash that was not pushed is lost")
	}
}

// fileTier lowers the tier of a non-recursive delete: it removes files, not trees.
func fileTier(w arg, t target) target {
	if w.static {
		if oneOf(w.s, "/etc/passwd", "/etc/shadow", "/etc/group") || hasPrefixAny(w.s, "/etc/sudoers", "/boot/", "/bin/", "/usr/bin/", "/sbin/") {
			return target{lvl: LevelHigh, desc: "the system file " + quote(w.s)}
		}
		if lvl, _ := secretTier(w.s); lvl > LevelNone && !w.glob {
			return target{lvl: LevelMedium, desc: "the credentials file " + quote(w.s)}
		}
	}
	if t.data && w.static && !w.glob {
		return target{lvl: LevelLow, desc: t.desc}
	}
	if !w.static && !w.glob && !strings.HasSuffix(w.s, "*") {
		return target{lvl: LevelLow, desc: quote(w.s)}
	}
	t.lvl = max(LevelLow, min(t.lvl-1, LevelMedium))
	return t
}

// findRun is one find command: its roots, whether tests narrow what it
// matches, and the worst of its roots' tiers.
type findRun struct {
	roots    []arg
	filtered bool
	worst    target
}

func (a *assessor) find(_ string, args []arg, c ctx) {
	f, i := newFindRun(args)
	if n := flagValue(args, "-name", "-iname"); n != "" && (f.worst.lvl >= LevelHigh || strings.HasPrefix(f.roots[0].s, "/")) {
		if lvl, _ := secretTier(strings.Trim(n, "*")); lvl > LevelNone || containsAny(n, "id_rsa", ".pem", ".key", "credentials", ".env") {
			a.add(CatSecrets, LevelMedium, "`find "+f.roots[0].s+" -name "+n+"` hunts for credential files")
		}
	}
	if hasFlag(findExpression(args), "-delete") {
		a.add(CatDestructiveFS, f.deleteLevel(), "`find -delete` removes files under "+f.worst.desc)
	}
	for ; i < len(args); i++ {
		if !oneOf(args[i].s, "-exec", "-execdir", "-ok", "-okdir", "-x", "--exec", "-X", "--exec-batch") {
			continue
		}
		cmd, j := f.execCommand(args, i+1)
		if len(cmd) > 0 && oneOf(baseName(cmd[0].s), "rm", "unlink", "shred") && f.filtered && !f.relative() {
			a.add(CatDestructiveFS, f.deleteLevel(), "`find -exec "+cmd[0].s+"` deletes the files it finds under "+f.worst.desc)
		}
		cc := c
		cc.depth++
		a.exec(cmd, cc)
		i = j
	}
}

// newFindRun reads the roots (before the first test) and returns the index
// of the first argument after them.
func newFindRun(args []arg) (findRun, int) {
	var f findRun
	i := 0
	for ; i < len(args); i++ {
		s := args[i].s
		if strings.HasPrefix(s, "-") || oneOf(s, "(", "!", "\\(") {
			break
		}
		f.roots = append(f.roots, args[i])
	}
	if len(f.roots) == 0 {
		f.roots = []arg{{s: ".", static: true}}
	}
	f.filtered = hasFlag(args, "-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-mtime", "-mmin", "-atime", "-ctime", "-newer", "-size", "-empty", "-user", "-perm", "-wholename", "-links", "-amin", "-cmin")
	f.worst = pathTier(f.roots[0])
	for _, r := range f.roots[1:] {
		if t := pathTier(r); t.lvl > f.worst.lvl {
			f.worst = t
		}
	}
	return f, i
}

// relative reports a first root inside the workspace.
func (f findRun) relative() bool {
	r := f.roots[0]
	return r.static && !strings.HasPrefix(r.s, "/") && !strings.HasPrefix(r.s, "~")
}

func (f findRun) deleteLevel() Level {
	switch {
	case !f.filtered:
		return f.worst.lvl
	case f.worst.lvl == LevelCritical:
		return LevelHigh
	case f.relative():
		return LevelLow
	}
	return min(f.worst.lvl, LevelHigh)
}

// execCommand builds the command an -exec runs from args[j:] up to its
// terminator, with {} standing for what find finds.
func (f findRun) execCommand(args []arg, j int) ([]arg, int) {
	var cmd []arg
	for ; j < len(args) && !oneOf(args[j].s, ";", "+", "\\;"); j++ {
		w := args[j]
		if strings.Contains(w.s, "{}") {
			switch {
			case !f.filtered && f.worst.lvl >= LevelHigh:
				w = f.roots[0]
			case f.relative():
				w = arg{s: strings.TrimSuffix(f.roots[0].s, "/") + "/{found}", static: true}
			default:
				w = arg{s: "{found}", stdin: true}
			}
		}
		cmd = append(cmd, w)
		if len(cmd) == 1 && oneOf(w.s, "rm", "shred", "unlink") && !f.filtered {
			// find walks the tree, so deleting each file it finds
			// is a recursive delete of the root.
			cmd = append(cmd, arg{s: "-r", static: true})
		}
	}
	return cmd, j
}

func (a *assessor) chmod(args []arg) {
	p := positionals(args)
	if len(p) < 2 {
		return
	}
	mode, targets := p[0].s, p[1:]
	recursive := hasShort(args, 'R') || hasFlag(args, "--recursive")
	worst := pathTier(targets[0])
	for _, t := range targets[1:] {
		if tt := pathTier(t); tt.lvl > worst.lvl {
			worst = tt
		}
	}
	if setuid(mode) {
		a.add(CatPrivilege, LevelHigh, "`chmod "+mode+"` sets the setuid/setgid bit on "+worst.desc+", letting anyone run it with its owner's rights")
		a.add(CatPermissions, LevelHigh, "a setuid/setgid file is a standing privilege-escalation path")
	}
	anyone := worldWritable(mode)
	docker := anyArg(targets, func(x arg) bool { return strings.HasSuffix(x.s, "docker.sock") })
	switch {
	case docker && (anyone || strings.Contains(mode, "6")):
		a.add(CatPermissions, LevelHigh, "`chmod "+mode+"` opens the Docker socket to every user, which equals root access")
		a.add(CatPrivilege, LevelHigh, "any local user can start a root container through the socket")
	case anyone && recursive:
		a.add(CatPermissions, max(LevelHigh, worst.lvl), "`chmod -R "+mode+"` makes "+worst.desc+" writable by every user")
	case anyone:
		a.add(CatPermissions, max(LevelMedium, min(worst.lvl, LevelHigh)), "`chmod "+mode+"` makes "+worst.desc+" writable by every user")
	case recursive && (worst.lvl == LevelCritical || worst.lvl == LevelHigh && systemTree(targets)):
		a.add(CatPermissions, worst.lvl, "`chmod -R "+mode+"` changes permissions of "+worst.desc)
	case oneOf(mode, "000", "0000") || strings.HasSuffix(mode, "-rwx"):
		a.add(CatPermissions, max(LevelMedium, worst.lvl), "`chmod "+mode+"` removes all access to "+worst.desc)
	}
}

// systemTree reports whether a target lies in a tree the system itself
// depends on, where changing owners or modes breaks logins, sudo or boot.
func systemTree(targets []arg) bool {
	for _, t := range targets {
		p := expandKnown(t.s)
		for _, d := range []string{"/etc", "/usr", "/bin", "/sbin", "/lib", "/boot", "/root", "/var/lib", "/var/run", "/run", "/dev", "/proc", "/sys", "~/.ssh", "/home"} {
			if p == d || strings.HasPrefix(p, d+"/") {
				return true
			}
		}
		if !t.static && t.lead {
			return true
		}
	}
	return false
}

func setuid(mode string) bool {
	if len(mode) == 4 && mode[0] >= '1' && mode[0] <= '7' && mode[0] != '1' && allDigits(mode) {
		return true
	}
	return containsAny(mode, "+s", "=s", "+xs", "+sx")
}

func worldWritable(mode string) bool {
	if allDigits(mode) && len(mode) >= 3 {
		last := mode[len(mode)-1]
		return last == '2' || last == '3' || last == '6' || last == '7'
	}
	for _, part := range strings.Split(mode, ",") {
		who, perm, ok := strings.Cut(part, "+")
		if !ok {
			who, perm, ok = strings.Cut(part, "=")
		}
		if ok && strings.Contains(perm, "w") && (who == "" && strings.Contains(part, "=") || strings.ContainsAny(who, "oa")) {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (a *assessor) chown(name string, args []arg) {
	p := positionals(args, "--from", "--reference")
	if len(p) < 2 {
		return
	}
	recursive := hasShort(args, 'R') || hasFlag(args, "--recursive")
	for _, t := range p[1:] {
		tt := pathTier(t)
		switch {
		case recursive && (tt.lvl == LevelCritical || tt.lvl == LevelHigh && systemTree([]arg{t})):
			a.add(CatPermissions, tt.lvl, "`"+name+" -R` changes the owner of "+tt.desc)
		case recursive && tt.lvl >= LevelMedium:
			a.add(CatPermissions, LevelLow, "`"+name+" -R` changes the owner of "+tt.desc)
		case !recursive && t.static && (hasPrefixAny(t.s, "/etc/", "/bin/", "/usr/bin/")):
			a.add(CatPermissions, LevelHigh, "`"+name+"` changes the owner of the system file "+quote(t.s))
		}
	}
}

func (a *assessor) mkfs(name string, args []arg) {
	p := positionals(args, "-t", "-L", "-b", "-n", "-O", "-E", "-m", "-i", "-U", "-N")
	for _, t := range p {
		if isDevice(t.s) || !t.static {
			a.add(CatDiskDevice, LevelCritical, "`"+name+"` creates a new filesystem on "+quote(t.s)+", erasing everything on it")
			return
		}
	}
	a.add(CatDiskDevice, LevelMedium, "`"+name+"` creates a filesystem ("+quote(joinArgs(args))+")")
}

func (a *assessor) dd(args []arg) {
	var in, out string
	for _, x := range args {
		if v, ok := strings.CutPrefix(x.s, "of="); ok {
			out = v
			a.writeTarget(arg{s: v, static: x.static, param: x.param}, false, "`dd` writes", ctx{})
		}
		if v, ok := strings.CutPrefix(x.s, "if="); ok {
			in = v
		}
	}
	if isDevice(in) && !isDevice(out) {
		a.add(CatDiskDevice, LevelMedium, "`dd` reads the raw disk "+quote(in)+", which can contain secrets and deleted data")
	}
	if out != "" && !isDevice(out) && !strings.HasPrefix(out, "/dev/") && !strings.HasPrefix(out, "/") && strings.HasPrefix(out, "$") {
		a.add(CatDiskDevice, LevelHigh, "`dd` writes to "+quote(out)+", which is not visible here and may be a disk device")
	}
}

// findExpression drops the commands given to -exec/-execdir/-ok (up to their
// ";" or "+"), so "find . -exec echo -delete \;" does not read as -delete.
func findExpression(args []arg) []arg {
	out := make([]arg, 0, len(args))
	for i := 0; i < len(args); i++ {
		switch args[i].s {
		case "-exec", "-execdir", "-ok", "-okdir":
			for i++; i < len(args) && args[i].s != ";" && args[i].s != "+" && args[i].s != "\\;"; i++ {
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}
