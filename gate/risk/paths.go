package risk

import (
	"path"
	"strings"
)

// target is what a path argument refers to, as far as it can be known.
type target struct {
	lvl  Level  // what deleting it recursively would cost
	desc string // for reasons: "the root filesystem `/`"
	// data marks an absolute path outside the system trees (/srv/app,
	// /mnt/backups, /data): where servers keep what they serve and store.
	data bool
}

// pathTier rates a path that is about to be deleted or overwritten.
func pathTier(w arg) target {
	if w.stdin || strings.Contains(w.s, "{}") {
		return target{lvl: LevelMedium, desc: "paths read from input at run time"}
	}
	if !w.static {
		return dynamicTier(w)
	}
	return staticTier(w.s)
}

// dynamicTier rates a path decided at run time: a substitution's output,
// a path built from a variable, or a variable that may be empty.
func dynamicTier(w arg) target {
	if w.subst {
		if w.inner == "mktemp" || w.inner == "pwd" && strings.HasSuffix(w.s, "/build") {
			return target{lvl: LevelLow, desc: "a fresh temporary path from `mktemp`"}
		}
		return target{lvl: LevelHigh, desc: "paths produced at run time by " + quote(w.inner)}
	}
	// TMPDIR is set on macOS but not on Linux runners, where "$TMPDIR/*"
	// is "/*". Below it ("$TMPDIR/build") it is a temporary path.
	if w.lead && w.param == "TMPDIR" && oneOf(strings.TrimRight(strings.TrimPrefix(w.s, "$TMPDIR"), "/."), "", "*", "/*", "/.*") && w.s != "$TMPDIR" {
		w.empty = true
	}
	s := w.s
	if !w.empty {
		s = expandKnown(w.s)
	}
	if !strings.HasPrefix(s, "$") {
		t := staticTier(prefixBeforeVar(s))
		if t.lvl < LevelMedium && strings.HasPrefix(s, "/") && strings.Contains(s, "$") {
			t.lvl = LevelMedium
		}
		if t.lvl >= LevelMedium {
			t.desc = quote(w.s) + ", built from " + quote("$"+w.param)
		}
		return t
	}
	if !w.lead || !w.empty {
		return target{lvl: LevelMedium, desc: quote(w.s) + ", whose value is not visible here"}
	}
	return emptyVarTier(w, s)
}

// emptyVarTier rates a path s that starts with a variable that may be
// empty: what is left after it is what gets deleted in that case.
func emptyVarTier(w arg, s string) target {
	rest := s[1+len(w.param):]
	rest = strings.TrimPrefix(rest, "}")
	v := quote("$" + w.param)
	switch strings.TrimRight(rest, "/.") {
	case "", "*", "/*", "/.*":
		if rest == "" {
			// rm -rf "$X" with X empty deletes nothing; the risk is
			// what X holds, which is only visible at run time.
			switch {
			case w.bare:
				return target{lvl: LevelHigh, desc: "a path taken from " + v + " (unquoted, so split and globbed), which is not visible here"}
			case tempName(w.param):
				return target{lvl: LevelLow, desc: "the temporary path " + v}
			}
			return target{lvl: LevelHigh, desc: "a path taken from " + v + ", which is not visible here and may be empty"}
		}
		return target{lvl: LevelCritical, desc: "a path built from " + v + ", which may be empty, so it can expand to " + quote(rest)}
	}
	t := staticTier(prefixBeforeVar(rest))
	if t.data {
		// "$DIR/dist" with DIR empty is "/dist", which rarely exists.
		t.lvl = LevelMedium
	}
	t.lvl = max(t.lvl, LevelMedium)
	if w.bare {
		t.lvl = max(t.lvl, LevelHigh)
	}
	t.desc = "a path built from " + v + ", which may be empty, so it can expand to " + quote(rest)
	return t
}

func tempName(v string) bool {
	u := strings.ToUpper(v)
	return containsAny(u, "TMP", "TEMP", "CACHE")
}

// expandKnown replaces variables that are always set by what they mean.
func expandKnown(s string) string {
	for _, p := range [...][2]string{{"$PWD", "."}, {"$GITHUB_WORKSPACE", "."}, {"$CI_PROJECT_DIR", "."}, {"$RUNNER_TEMP", "/tmp"}, {"$TMPDIR", "/tmp"}, {"$RUNNER_TOOL_CACHE", "/opt/hostedtoolcache"}, {"$AGENT_TOOLSDIRECTORY", "/opt/hostedtoolcache"}} {
		if strings.HasPrefix(s, p[0]) && (len(s) == len(p[0]) || s[len(p[0])] == '/') {
			return p[1] + s[len(p[0]):]
		}
	}
	return s
}

func prefixBeforeVar(s string) string {
	if i := strings.IndexAny(s, "$"); i >= 0 {
		s = s[:i]
	}
	return s
}

var topDirs = []string{"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "opt", "proc", "root", "sbin", "srv", "sys", "usr", "var", "Users", "System", "Library", "Applications", "mnt", "media", "snap"}

func staticTier(p string) target {
	// Only the first {a,b} group is expanded: expanding every group
	// would be exponential in their number.
	if alts := braceAlternatives(p); alts != nil {
		var worst target
		for _, alt := range alts {
			if t := plainTier(alt); t.lvl > worst.lvl || worst.desc == "" {
				worst = t
			}
		}
		return worst
	}
	return plainTier(p)
}

func plainTier(p string) target {
	q := quote(p)
	if strings.HasPrefix(p, "/") && strings.Contains(p, "/.") {
		// /usr/../ and /./ are the root filesystem in disguise.
		p = path.Clean(p)
	}
	if strings.HasPrefix(p, "~") && !strings.HasPrefix(p, "~/") && len(p) > 1 {
		user, rest, _ := strings.Cut(p[1:], "/")
		if user == "root" {
			p = "/root/" + rest
		} else {
			p = "/home/" + user + "/" + rest
		}
		p = strings.TrimSuffix(p, "/")
	}
	clean := strings.TrimRight(p, "/")
	clean = strings.TrimSuffix(clean, "/.")
	switch clean {
	case "", "/*", "/.*", "/..":
		if strings.HasPrefix(p, "/") {
			return target{lvl: LevelCritical, desc: "the root filesystem " + q}
		}
	case "~", "~/*", "~/.*", "$HOME":
		return target{lvl: LevelCritical, desc: "the home directory " + q}
	case ".", "*", "./*", ".*", "./.*", "..", "../*", "*/", "**":
		return target{lvl: LevelHigh, desc: "everything in the current or parent directory (" + q + ")"}
	case ".git", "./.git":
		return target{lvl: LevelHigh, desc: "the repository's history " + q}
	}
	if strings.Trim(strings.ReplaceAll(clean, "..", ""), "/*") == "" && strings.Contains(clean, "..") {
		return target{lvl: LevelHigh, desc: "everything in a parent directory (" + q + ")"}
	}
	if strings.HasSuffix(clean, "/.git") {
		return target{lvl: LevelHigh, desc: "the repository's history " + q}
	}
	if strings.HasPrefix(clean, "~/") {
		return homeTier(clean[2:], q)
	}
	if !strings.HasPrefix(clean, "/") {
		if strings.HasPrefix(clean, "../") && strings.Count(clean, "/") == 1 {
			return target{lvl: LevelMedium, desc: "a directory outside the workspace " + q}
		}
		return target{lvl: LevelLow, desc: q}
	}
	return absTier(clean, q)
}

// braceAlternatives expands the first {a,b} group of p, or returns nil.
func braceAlternatives(p string) []string {
	i := strings.IndexByte(p, '{')
	j := strings.IndexByte(p, '}')
	if i < 0 || j < i || !strings.Contains(p[i:j], ",") {
		return nil
	}
	alts := strings.Split(p[i+1:j], ",")
	if len(alts) > 16 {
		alts = alts[:16]
	}
	out := make([]string, 0, len(alts))
	for _, alt := range alts {
		out = append(out, p[:i]+alt+p[j+1:])
	}
	return out
}

func homeTier(rel, q string) target {
	for _, c := range []string{".cache", ".npm", ".m2/repository", ".gradle/caches", "go/pkg", ".cargo/registry", ".yarn", ".pnpm-store", ".nuget/packages", ".local/share/virtualenvs", ".pyenv/versions", ".nvm/versions", ".rustup/toolchains", ".bundle", ".gem", ".android/build-cache", ".ivy2/cache", ".sbt", ".terraform.d/plugin-cache", "tmp", "work/_temp"} {
		if rel == c || strings.HasPrefix(rel, c+"/") {
			return target{lvl: LevelLow, desc: q}
		}
	}
	if strings.Count(rel, "/") == 0 || strings.HasPrefix(rel, ".ssh") || strings.HasPrefix(rel, ".gnupg") || strings.HasPrefix(rel, ".aws") || strings.HasPrefix(rel, ".kube") || strings.HasPrefix(rel, ".config") && strings.Count(rel, "/") <= 1 {
		return target{lvl: LevelHigh, desc: "the home-directory folder " + q}
	}
	return target{lvl: LevelMedium, desc: q + " in the home directory"}
}

// scratchDirs are absolute trees that only hold caches, temporary files or
// preinstalled toolchains that CI jobs delete to free disk space.
var scratchDirs = []string{"/tmp/", "/var/tmp/", "/var/cache/", "/var/lib/apt/lists", "/usr/share/doc", "/usr/share/man", "/root/.cache", "/opt/hostedtoolcache", "/usr/local/share/.cache", "/home/runner/work/_temp", "/usr/local/lib/android", "/usr/share/dotnet", "/opt/ghc", "/usr/local/share/boost", "/usr/local/.ghcup", "/opt/az", "/usr/share/swift", "/usr/local/share/powershell", "/usr/local/share/chromium", "/opt/microsoft", "/opt/google", "/var/lib/apt/", "/var/lib/dpkg/lock", "/var/run/", "/run/user/"}

func absTier(clean, q string) target {
	parts := strings.Split(strings.TrimPrefix(clean, "/"), "/")
	top := parts[0]
	switch {
	case strings.Contains(top, "*"):
		return target{lvl: LevelCritical, desc: "every top-level directory (" + q + ")"}
	case oneOf(top, topDirs...) && (len(parts) == 1 || len(parts) == 2 && oneOf(parts[1], "*", ".*")):
		return target{lvl: LevelCritical, desc: "the system directory " + q}
	case clean == "/tmp" || strings.HasPrefix(clean, "/var/log"):
		return target{lvl: LevelMedium, desc: q}
	case hasPrefixAny(clean+"/", scratchDirs...):
		return target{lvl: LevelLow, desc: q}
	}
	return topTier(top, parts, q)
}

// topTier rates an absolute path by its top-level directory.
func topTier(top string, parts []string, q string) target {
	switch top {
	case "boot":
		return target{lvl: LevelCritical, desc: "boot files in " + q}
	case "etc", "bin", "sbin", "lib", "lib32", "lib64", "proc", "sys", "dev", "System", "root":
		return target{lvl: LevelHigh, desc: "the system path " + q}
	case "usr":
		if len(parts) > 2 && parts[1] == "local" {
			if parts[2] == "go" || parts[2] == "bin" && len(parts) > 3 {
				// Go's install guide removes /usr/local/go first.
				return target{lvl: LevelLow, desc: q}
			}
			return target{lvl: LevelMedium, desc: q}
		}
		return target{lvl: LevelHigh, desc: "the system path " + q}
	case "var":
		if len(parts) > 1 && oneOf(parts[1], "lib", "backups", "mail", "www", "opt") {
			return target{lvl: LevelHigh, desc: "the data directory " + q}
		}
		return target{lvl: LevelMedium, desc: q}
	case "home", "Users":
		if len(parts) == 2 {
			return target{lvl: LevelHigh, desc: "the home directory " + q}
		}
		return target{lvl: LevelMedium, desc: q}
	case "opt", "srv", "mnt", "media", "data", "backup", "backups", "app", "apps", "www", "storage", "export", "nfs", "vol", "volumes", "persistent":
		return target{lvl: LevelHigh, desc: "the data directory " + q + " (outside the workspace, where servers keep what they serve and store)", data: true}
	}
	// Any other top-level directory (/data1, /pgdata …) is a mount point
	// or an application tree, never scratch space.
	return target{lvl: LevelHigh, desc: "the directory " + q + " outside the workspace and the system trees", data: true}
}

// secretTier rates a path that may hold credentials.
func secretTier(p string) (Level, string) {
	l := strings.ToLower(p)
	base := l
	if i := strings.LastIndexByte(l, '/'); i >= 0 {
		base = l[i+1:]
	}
	switch l {
	case "$kubeconfig", "$google_application_credentials", "$aws_shared_credentials_file", "$cloudsdk_auth_credential_file_override", "$ssh_auth_sock":
		return LevelHigh, quote(p)
	}
	if strings.HasSuffix(l, ".pub") || containsAny(base, "example", "sample", "template") || strings.Contains(l, "known_hosts") {
		return LevelNone, ""
	}
	high := []string{".ssh/id_", ".aws/credentials", ".kube/config", ".docker/config.json", ".netrc", ".git-credentials", "gh/hosts.yml", ".npmrc", ".pypirc", ".gnupg", "/etc/shadow", "/etc/gshadow", "gcloud/credentials", "application_default_credentials.json", "serviceaccount/token", "/run/secrets/", "/environ", ".vault-token", ".password-store", "id_rsa", "id_ed25519", "id_ecdsa", "id_dsa", ".config/gcloud", "legacy_credentials", ".azure/", "accesstokens.json", ".terraformrc", "credentials.tfrc.json", ".gem/credentials", ".cargo/credentials", ".m2/settings-security.xml", "/etc/ssl/private", "master.key", "vault.key"}
	for _, h := range high {
		if strings.Contains(l, h) {
			return LevelHigh, quote(p)
		}
	}
	l = strings.TrimSuffix(l, "/")
	if strings.HasSuffix(l, "/.ssh") || oneOf(l, "~/.ssh", "~/.aws") || strings.HasSuffix(l, "/.aws") || strings.Contains(l, "/.ssh/") && strings.ContainsAny(base, "*?") {
		return LevelHigh, quote(p)
	}
	if oneOf(l, "/etc/passwd", "/etc/sudoers") {
		return LevelMedium, quote(p)
	}
	if base == ".env" || strings.HasPrefix(base, ".env.") || hasSuffixAny(base, ".pem", ".key") ||
		hasSuffixAny(base, ".p12", ".pfx", ".jks", ".keystore") ||
		strings.HasPrefix(base, "terraform.tfstate") || oneOf(base, "secrets.yaml", "secrets.yml", "secrets.json") ||
		strings.HasSuffix(base, ".kdbx") || oneOf(base, "wp-config.php", "credentials.json", "credentials") ||
		oneOf(base, ".bash_history", ".zsh_history", "kubeconfig", "/etc/sudoers") || strings.HasSuffix(base, ".tfvars") {
		return LevelMedium, quote(p)
	}
	return LevelNone, ""
}

func isDevice(p string) bool {
	if !strings.HasPrefix(p, "/dev/") {
		return false
	}
	d := p[5:]
	for _, pre := range []string{"sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "mapper/", "md", "dm-", "mem", "kmem", "port", "rdisk", "nbd", "sr", "fd0", "zvol", "by-id/", "disk/", "root", "xvd"} {
		if strings.HasPrefix(d, pre) {
			return true
		}
	}
	return false
}

// writeTarget rates output written to path t (redirect, tee, cp, dd of=).
func (a *assessor) writeTarget(t arg, appendMode bool, verb string, c ctx) {
	p := t.s
	if !t.static {
		p = expandKnown(p)
		if strings.HasPrefix(p, "$") {
			return
		}
	}
	if !a.writeAccess(p, appendMode, verb) {
		a.writeSystem(p, appendMode, verb)
	}
}

// writeAccess rates writes that change who gets in or what runs later:
// devices, account files, SSH keys, logs, rc files, cron, login config.
func (a *assessor) writeAccess(p string, appendMode bool, verb string) bool {
	switch {
	case isDevice(p):
		a.add(CatDiskDevice, LevelCritical, verb+" straight to the disk device "+quote(p)+", destroying its data")
		a.add(CatDestructiveFS, LevelCritical, "every filesystem on "+quote(p)+" is overwritten")
	case hasPrefixAny(p, "/dev/tcp/", "/dev/udp/"):
		a.add(CatExfiltration, LevelHigh, verb+" to a raw network socket "+quote(p))
	case strings.HasPrefix(p, "/dev/"):
	case oneOf(p, "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow") || strings.HasPrefix(p, "/etc/sudoers") || p == "/etc/ld.so.preload":
		a.add(CatPrivilege, LevelCritical, verb+" to "+quote(p)+", changing who can log in or become root")
	case hasSuffixAny(p, "/authorized_keys", "/authorized_keys2"):
		a.add(CatPrivilege, LevelHigh, verb+" to "+quote(p)+", granting SSH login to whoever holds that key")
	case strings.HasPrefix(p, "/var/log/") && !appendMode && (hasPrefixAny(verb, "redirects", "`tee`", "`cp`", "`truncate`")):
		a.add(CatSystemProcess, LevelHigh, verb+" over the log "+quote(p)+", erasing the record of what happened")
	case rcFile(p):
		lvl := LevelMedium
		if appendMode {
			// export PATH=… >> ~/.bashrc is routine setup; what is
			// appended is checked separately.
			lvl = LevelLow
		}
		a.add(CatPrivilege, lvl, verb+" to the shell startup file "+quote(p)+", which runs at every login")
	case hasPrefixAny(p, "/etc/cron", "/var/spool/cron", "/etc/anacrontab"):
		a.add(CatSystemProcess, LevelHigh, verb+" to "+quote(p)+", scheduling commands that keep running later")
	case hasPrefixAny(p, "/etc/ssh/sshd_config", "/etc/pam.d/"):
		a.add(CatNetworkExposure, LevelHigh, verb+" to "+quote(p)+", changing how the machine accepts logins")
	default:
		return false
	}
	return true
}

// writeSystem rates writes to name resolution, package sources, kernel
// settings, boot files, system configuration and binaries.
func (a *assessor) writeSystem(p string, appendMode bool, verb string) {
	switch {
	case oneOf(p, "/etc/hosts", "/etc/resolv.conf") || hasPrefixAny(p, "/etc/iptables", "/etc/nftables"):
		lvl := LevelMedium
		switch {
		case appendMode && p == "/etc/hosts":
			lvl = LevelLow
		case !appendMode && p == "/etc/resolv.conf":
			lvl = LevelHigh
		}
		a.add(CatNetworkExposure, lvl, verb+" to "+quote(p)+", changing name resolution or firewall rules")
	case hasPrefixAny(p, "/etc/apt/", "/etc/yum.repos.d/", "/etc/zypp/", "/etc/apk/"):
		a.add(CatPackageInstall, LevelLow, verb+" to "+quote(p)+", adding a package source")
	case p == "/proc/sysrq-trigger":
		a.add(CatSystemProcess, LevelCritical, verb+" to "+quote(p)+", which can crash or reboot the kernel immediately")
	case hasPrefixAny(p, "/proc/sys/", "/sys/"):
		a.add(CatSystemProcess, LevelMedium, verb+" to "+quote(p)+", changing kernel settings")
	case strings.HasPrefix(p, "/boot/"):
		a.add(CatDestructiveFS, LevelCritical, verb+" to boot file "+quote(p)+", which can leave the machine unbootable")
	case strings.HasPrefix(p, "/etc/"):
		lvl := LevelMedium
		if appendMode || strings.Count(p, "/") > 2 {
			// /etc/myapp/config.yml is how services are configured.
			lvl = LevelLow
		}
		a.add(CatDestructiveFS, lvl, verb+" to the system configuration file "+quote(p))
	case hasPrefixAny(p, "/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/lib", "/usr/lib/"):
		a.add(CatDestructiveFS, LevelHigh, verb+" to the system binary or library "+quote(p))
	}
}

// rcFile reports shell startup files: what is written there runs in every
// later shell of the user (or of everyone, for /etc/profile).
func rcFile(p string) bool {
	switch baseName(p) {
	case ".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zshenv", ".zprofile", ".zlogin", ".kshrc", ".cshrc", ".tcshrc", "config.fish", "bash.bashrc", "zshrc", "zshenv", ".bash_logout", ".inputrc":
		return baseName(p) != "config.fish" || strings.Contains(p, "fish/")
	}
	return oneOf(p, "/etc/profile", "/etc/environment") || strings.HasPrefix(p, "/etc/profile.d/")
}
