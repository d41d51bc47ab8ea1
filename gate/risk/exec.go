// Assessing one simple command: rendering its words, naming the command
// (a dynamic name is guessed or reported), peeling wrappers, and the
// strings it runs as shell code.

package risk

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

func (a *assessor) call(ce *syntax.CallExpr, c ctx) {
	var r wordRenderer
	for _, as := range ce.Assigns {
		if as.Value != nil {
			v := r.render(as.Value)
			if as.Name != nil {
				a.assignment(as.Name.Value, as.Value, c)
				if len(ce.Args) == 0 {
					a.setVar(as.Name.Value, v)
				}
			}
		}
		if as.Array != nil {
			a.nodeSubsts(as.Array, c)
		}
	}
	// Args live in a per-assessment arena: nested commands append after
	// them and the slice is capped, so a callee's append copies instead of
	// overwriting, and the space is reused once this call returns.
	mark := len(a.arena)
	for _, w := range ce.Args {
		a.arena = append(a.arena, r.render(w))
	}
	args := a.arena[mark:len(a.arena):len(a.arena)]
	defer func() { a.arena = a.arena[:mark] }()
	cs := c
	printed := false
	if len(args) > 0 {
		name := a.exec(args, c)
		if isNetSender(name) {
			cs.sink = name
		}
		// echo "$(cat key)" prints what the substitution produced.
		printed = (name == "echo" || name == "printf") && !c.piped && !c.redirOut
	}
	a.substitutions(r.substs, cs)
	if printed {
		cs.piped = false
		a.printedSubsts(r.substs, cs)
	}
}

func isNetSender(name string) bool {
	switch name {
	case "curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "dig", "nslookup", "host", "ping", "http", "xh", "ssh", "openssl":
		return true
	}
	return false
}

// exec peels wrappers (sudo, env, xargs …) off args and dispatches the
// command underneath. It returns that command's name.
func (a *assessor) exec(args []arg, c ctx) string {
	for range 24 {
		if len(args) == 0 {
			return ""
		}
		a0 := args[0]
		if !a0.static && a0.lead {
			a.dynamicCommand(a0, args[1:], c)
			guess := a.guessName(a0)
			if guess == "" {
				return ""
			}
			// $RM, ${SUDO}, $r after r=rm: rate it as the command it
			// most likely is.
			args = append([]arg{{s: guess, static: true}}, args[1:]...)
			a0 = args[0]
		}
		name := baseName(a0.s)
		rest, ok := a.wrapper(name, args[1:], &c)
		if !ok {
			a.dispatch(name, a0, args[1:], c)
			return name
		}
		args = rest
	}
	return ""
}

// setVar remembers a variable's static value for later $NAME commands.
func (a *assessor) setVar(name string, v arg) {
	if a.vars == nil {
		a.vars = map[string]string{}
	}
	if v.static && len(a.vars) < 64 {
		a.vars[name] = v.s
	} else {
		delete(a.vars, name)
	}
}

// guessName names the command a dynamic name most likely is: the static
// value assigned earlier in the command, or a variable named after a
// command ($RM, ${SUDO}, $KUBECTL).
func (a *assessor) guessName(a0 arg) string {
	if a0.subst || a0.param == "" || "$"+a0.param != a0.s {
		return ""
	}
	if v, ok := a.vars[a0.param]; ok {
		return baseName(strings.Fields(v + " ")[0])
	}
	switch n := strings.ToLower(a0.param); n {
	case "rm", "sudo", "doas", "dd", "kubectl", "terraform", "tofu", "helm", "psql", "mysql", "git", "docker", "podman",
		"aws", "gcloud", "az", "curl", "wget", "bash", "sh", "chmod", "chown", "shred", "kill", "systemctl", "mkfs", "redis_cli", "mongo":
		return strings.ReplaceAll(n, "_", "-")
	}
	return ""
}

func (a *assessor) dynamicCommand(a0 arg, args []arg, c ctx) {
	switch {
	case a0.fetch:
		a.add(CatRemoteCode, LevelCritical, "runs a command whose name is downloaded from the network at run time")
	case a0.decode:
		a.add(CatDynamicEval, LevelCritical, "runs a command decoded from base64/hex at run time, hiding what it does")
	case a0.subst:
		a.add(CatDynamicEval, LevelMedium, "runs a command whose name is the output of another command ("+quote(a0.s)+")")
	case a0.param == "@" || a0.param == "*" || a0.param == "1":
		a.add(CatDynamicEval, LevelLow, "runs the command given in the script's arguments ("+quote(a0.s)+")")
	default:
		a.add(CatDynamicEval, LevelLow, "runs a command whose name comes from "+quote("$"+a0.param)+", which is not visible here")
	}
}

// reparse assesses a string that another program runs as shell code.
func (a *assessor) reparse(w arg, c ctx, via string) {
	c.depth++
	switch {
	case w.fetch:
		a.add(CatRemoteCode, LevelCritical, via+" runs shell code downloaded from the network ("+quote(w.s)+")")
		a.add(CatDynamicEval, LevelHigh, via+" evaluates a string built at run time")
	case w.decode:
		a.add(CatDynamicEval, LevelCritical, via+" runs shell code decoded from base64/hex at run time, hiding what it does")
	case w.subst && !w.static:
		if emitsShellEnv(w.inner) {
			return
		}
		a.add(CatDynamicEval, LevelMedium, via+" runs the output of "+quote(w.inner)+" as shell code")
	case !w.static && w.param != "":
		a.add(CatDynamicEval, LevelHigh, via+" runs shell code taken from "+quote("$"+w.param)+", which is not visible here")
	}
	// The string's commands inherit the statement's stdin: the heredoc of
	// "ssh host bash -s <<EOF" is what the remote bash runs.
	if strings.HasPrefix(strings.TrimSpace(w.s), "$") {
		return
	}
	if !a.script(w.s, c, false) && w.static {
		a.add(CatDynamicEval, LevelMedium, via+" runs a string that is not valid shell syntax")
	}
}

// emitsShellEnv lists tools whose output is meant to be eval'ed to set up the
// environment; eval "$(ssh-agent -s)" is routine.
func emitsShellEnv(name string) bool {
	switch name {
	case "ssh-agent", "direnv", "pyenv", "rbenv", "nodenv", "goenv", "jenv", "plenv", "brew", "minikube",
		"docker-machine", "conda", "opam", "gpg-agent", "dircolors", "starship", "zoxide", "fnm", "mise",
		"kubectl", "helm", "gh", "register-python-argcomplete", "thefuck", "luarocks", "rtx", "asdf",
		"micromamba", "mamba", "nvm", "podman", "colima", "kind", "devbox", "atuin", "oh-my-posh", "hub",
		"aws", "gcloud", "op", "keychain", "vcpkg", "perl", "locale", "resize", "tset", "lesspipe", "lesspipe.sh",
		"batpipe", "rustup", "poetry", "pipenv", "navi", "fzf", "gopass", "stack", "ghcup", "sdk", "jump", "mcfly",
		"dbus-launch", "systemctl", "homebrew", "pdm", "uv", "just", "task", "npm", "pnpm", "yarn", "deno", "bun":
		return true
	}
	return false
}

// opaque records that a script runs whose content cannot be seen.
func (a *assessor) opaque(what string) {
	lvl := LevelLow
	l := strings.ToLower(what)
	for _, w := range []string{"destroy", "drop", "delete", "wipe", "purge", "nuke", "teardown", "tear-down", "reset", "rollback", "truncate", "erase", "format", "clean-all", "kill"} {
		if strings.Contains(l, w) {
			lvl = LevelMedium
			break
		}
	}
	a.add(CatOpaqueScript, lvl, "runs "+quote(what)+"; the script's content is not visible here, so its effect cannot be assessed")
}
