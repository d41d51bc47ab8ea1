package risk

import (
	"strings"
)

// gitConfigCode reports "git -c key=value" settings that run code: an
// alias starting with "!", a pager, an fsmonitor hook, an SSH command …
// The command inside is assessed too.
func (a *assessor) gitConfigCode(kv string, c ctx, via string) {
	key, val, _ := strings.Cut(kv, "=")
	k := strings.ToLower(key)
	code := ""
	switch {
	case strings.HasPrefix(k, "alias."):
		if v, ok := strings.CutPrefix(val, "!"); ok {
			code = v
		}
	case k == "protocol.ext.allow" && val == "always":
		a.add(CatDynamicEval, LevelHigh, "`"+via+" protocol.ext.allow=always` lets remote URLs run local commands (ext::)")
		return
	case k == "core.hookspath":
		a.add(CatDynamicEval, LevelHigh, "`"+via+" core.hooksPath="+shorten(val, 40)+"` runs hooks from another directory")
		return
	case strings.HasPrefix(k, "filter.") && (hasSuffixAny(k, ".clean", ".smudge", ".process")),
		strings.HasPrefix(k, "diff.") && (hasSuffixAny(k, ".textconv", ".command") || k == "diff.external"),
		strings.HasPrefix(k, "merge.") && strings.HasSuffix(k, ".driver"),
		strings.HasPrefix(k, "pager."), k == "core.pager", k == "core.fsmonitor", k == "core.sshcommand", k == "core.editor",
		k == "core.gitproxy", k == "core.askpass", k == "sequence.editor", k == "gpg.program", k == "gpg.ssh.program", k == "gpg.x509.program",
		k == "uploadpack.packobjectshook", k == "credential.helper" && strings.HasPrefix(val, "!"):
		code = strings.TrimPrefix(val, "!")
		if k == "core.fsmonitor" && (oneOf(val, "true", "false")) {
			return
		}
	default:
		return
	}
	if code == "" {
		return
	}
	if k == "credential.helper" {
		// '!f() { echo password=$TOKEN; }; f' is how CI hands Git a token.
		a.add(CatSecrets, LevelLow, "`"+via+" credential.helper` hands Git credentials from a shell function")
		return
	}
	if plainProgram(code) {
		a.add(CatDynamicEval, LevelLow, "`"+via+" "+key+"="+shorten(code, 40)+"` sets the program Git runs")
		return
	}
	lvl := LevelHigh
	if via == "git config" {
		lvl = LevelMedium
	}
	a.add(CatDynamicEval, lvl, "`"+via+" "+key+"=…` makes Git run the shell command "+quote(code))
	a.reparse(arg{s: code, static: true}, c, "`"+via+" "+key+"`")
}

// plainProgram reports a pager, editor or SSH command that is one ordinary
// program with options (ssh -i key, less -R, cat), not shell code.
func plainProgram(code string) bool {
	if strings.ContainsAny(code, ";|&$`<>(){}\n") {
		return false
	}
	f := strings.Fields(code)
	if len(f) == 0 {
		return true
	}
	switch baseName(f[0]) {
	case "ssh", "less", "more", "cat", "vim", "vi", "nvim", "nano", "emacs", "code", "true", "delta", "diff-so-fancy", "gpg", "gpg2", "git-lfs", "watchman", "rs-git-fsmonitor":
		for _, w := range f[1:] {
			if strings.Contains(strings.ToLower(w), "proxycommand") || strings.Contains(strings.ToLower(w), "localcommand") {
				return false
			}
		}
		return true
	}
	return false
}

// gitLongOptions are the long options whose unique prefixes Git accepts
// (git reset --har is git reset --hard).
var gitLongOptions = map[string][]string{
	"reset":    {"--hard", "--merge", "--keep", "--soft", "--mixed"},
	"push":     {"--force", "--mirror", "--delete", "--prune", "--force-with-lease", "--force-if-includes", "--all", "--tags"},
	"clean":    {"--force", "--dry-run", "--quiet"},
	"checkout": {"--force", "--ours", "--theirs", "--orphan"},
	"branch":   {"--delete", "--force", "--move", "--copy"},
	"restore":  {"--staged", "--worktree", "--source"},
	"gc":       {"--prune", "--aggressive"},
	"stash":    {"--include-untracked", "--all"},
}

// expandGitLong replaces unique prefixes of a subcommand's long options by
// the full option, as Git's option parser does.
func expandGitLong(sub string, args []arg) []arg {
	known := gitLongOptions[sub]
	if known == nil {
		return args
	}
	var out []arg
	for i, x := range args {
		name, val, hasVal := strings.Cut(x.s, "=")
		if !strings.HasPrefix(name, "--") || len(name) < 4 || name == "--" {
			continue
		}
		full := ""
		for _, k := range known {
			if k == name {
				full = ""
				break
			}
			if strings.HasPrefix(k, name) {
				if full != "" {
					full = ""
					break
				}
				full = k
			}
		}
		if full == "" {
			continue
		}
		if out == nil {
			out = append([]arg(nil), args...)
		}
		out[i].s = full
		if hasVal {
			out[i].s += "=" + val
		}
	}
	if out == nil {
		return args
	}
	return out
}

// gitDiscard rates checkout/restore/clean: throwing away uncommitted work in
// the whole working tree is high, like git reset --hard; in named files it
// is medium (the work is just as lost, only less of it).
func (a *assessor) gitDiscard(sub string, rest, rp []arg) {
	whole := anyArg(rp, func(x arg) bool { return oneOf(x.s, ".", "*", ":/", "./") })
	switch sub {
	case "checkout":
		if hasFlag(rest, "--force") || hasShort(rest, 'f') {
			a.add(CatVCSRewrite, LevelHigh, "`git checkout -f` discards every uncommitted change in the working tree")
			return
		}
		if whole {
			a.add(CatVCSRewrite, LevelHigh, "`git checkout .` discards every uncommitted change in the working tree")
		} else if flagIndex(rest, "--") >= 0 && len(positionals(rest[flagIndex(rest, "--")+1:])) > 0 {
			a.add(CatVCSRewrite, LevelMedium, "`git checkout -- FILE` discards uncommitted changes to those files")
		}
	case "restore":
		staged := hasFlag(rest, "--staged", "-S") && !hasFlag(rest, "--worktree", "-W")
		switch {
		case staged:
		case whole:
			a.add(CatVCSRewrite, LevelHigh, "`git restore .` discards every uncommitted change in the working tree")
		case len(rp) > 0:
			a.add(CatVCSRewrite, LevelMedium, "`git restore FILE` discards uncommitted changes to those files")
		}
	case "clean":
		if !(hasShort(rest, 'f') || hasFlag(rest, "--force")) || hasShort(rest, 'n') || hasFlag(rest, "--dry-run") {
			return
		}
		lvl := LevelMedium
		if hasShort(rest, 'd') || hasShort(rest, 'x') || hasShort(rest, 'X') {
			lvl = LevelHigh
		}
		a.add(CatVCSRewrite, lvl, "`git clean "+joinArgs(rest)+"` permanently deletes untracked files")
		a.add(CatDestructiveFS, lvl, "untracked and ignored files are not in Git and cannot be recovered")
	}
}

// gitRunsCode catches subcommands and options that run a given command:
// rebase --exec, bisect run, submodule foreach, clone --upload-pack …
func (a *assessor) gitRunsCode(sub string, rest, rp []arg, c ctx) {
	cc := c
	cc.depth++
	for _, f := range []string{"--upload-pack", "-u", "--receive-pack", "--exec"} {
		if f == "-u" && sub != "clone" {
			continue
		}
		if v := flagValue(rest, f); v != "" && oneOf(sub, "clone", "fetch", "pull", "push", "ls-remote", "archive") {
			a.add(CatDynamicEval, LevelHigh, "`git "+sub+" "+f+"` runs "+quote(v)+" as the remote helper")
			a.reparse(arg{s: v, static: true}, cc, "`git "+sub+" "+f+"`")
		}
	}
	switch sub {
	case "rebase":
		if v := flagValue(rest, "--exec", "-x"); v != "" {
			a.reparse(arg{s: v, static: true}, cc, "`git rebase --exec`")
		}
	case "bisect":
		if len(rp) > 1 && rp[0].s == "run" {
			a.exec(rest[indexOf(rest, rp[0])+1:], cc)
		}
	case "submodule":
		if len(rp) > 1 && rp[0].s == "foreach" {
			a.reparse(arg{s: joinArgs(rp[1:]), static: true}, cc, "`git submodule foreach`")
		}
		if len(rp) > 0 && rp[0].s == "deinit" && hasFlag(rest, "--all", "-f", "--force") {
			a.add(CatVCSRewrite, LevelMedium, "`git submodule deinit` removes submodule working trees")
		}
	case "config":
		if len(rp) > 1 && !hasFlag(rest, "--get", "--get-all", "--unset", "-l", "--list") {
			a.gitConfigCode(rp[0].s+"="+rp[1].s, cc, "git config")
		}
	default:
		a.gitRemovals(sub, rest, rp)
	}
}

// gitRemovals rates worktree and tracked-file removals.
func (a *assessor) gitRemovals(sub string, rest, rp []arg) {
	switch sub {
	case "worktree":
		if len(rp) > 0 && rp[0].s == "remove" && hasFlag(rest, "--force", "-f") {
			a.add(CatVCSRewrite, LevelMedium, "`git worktree remove --force` deletes a worktree with its uncommitted changes")
		}
	case "rm":
		if (hasShort(rest, 'r') || hasFlag(rest, "-r")) && !hasFlag(rest, "--cached") && anyArg(rp, func(x arg) bool { return oneOf(x.s, ".", "*") }) {
			a.add(CatVCSRewrite, LevelMedium, "`git rm -r .` deletes every tracked file from the working tree")
		}
	}
}
