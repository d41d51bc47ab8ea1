package risk

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/stepgate/stepgate/gate/shellcmd"
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

// wrapper recognises commands that run another command, and returns the
// arguments of the wrapped command.
func (a *assessor) wrapper(name string, args []arg, c *ctx) ([]arg, bool) {
	switch name {
	case "sudo", "doas", "pkexec", "run0":
		return a.sudo(name, args, c), true
	case "env":
		return a.env(args, c)
	case "xargs":
		return a.xargs(args, *c), true
	case "chroot":
		a.add(CatPrivilege, LevelLow, "runs a command inside a `chroot`")
	case "npx", "bunx", "pnpx", "uvx", "pipx":
		rest := skipOpts(args, "-p", "--package", "-c", "--spec")
		if name == "pipx" && len(rest) > 0 && rest[0].s == "run" {
			rest = skipOpts(rest[1:], "--spec")
		} else if name == "pipx" {
			return nil, false
		}
		if len(rest) > 0 && !knownTool(rest[0].s) && !localTool(rest[0].s) {
			a.add(CatPackageInstall, LevelLow, "`"+name+" "+rest[0].s+"` downloads and runs a package from the registry")
		}
		return rest, true
	case "bundle", "mise", "asdf", "rbenv", "pyenv", "conda", "mamba", "micromamba", "direnv", "devbox",
		"pnpm", "yarn", "npm", "bun", "nix", "rtx":
		return a.toolRun(name, args, c)
	}
	if riskRule(name) {
		return nil, false
	}
	return a.sharedPeel(name, args, c)
}

// riskRule lists commands that run others but have risk rules of their own
// (shells, eval, ssh, su, kubectl/docker exec, find -exec), which the
// rules dispatch themselves.
func riskRule(name string) bool {
	if isShell(name) {
		return true
	}
	switch name {
	case "eval", "source", ".", "ssh", "su", "kubectl", "oc", "docker", "podman", "nerdctl", "find", "fd", "busybox", "at", "batch":
		return true
	}
	return false
}

// sharedPeel peels the wrappers of gate/shellcmd's table, the one the
// policy matcher uses too: nice, timeout, nohup, stdbuf, chrt, taskset,
// strace, fakeroot, nsenter, unshare, systemd-run, screen, tmux, runuser,
// gdb --args, dotenv, nix-shell --run, uv/poetry/pipenv run, parallel …
func (a *assessor) sharedPeel(name string, args []arg, c *ctx) ([]arg, bool) {
	words := make([]shellcmd.Word, 0, len(args)+1)
	words = append(words, shellcmd.Lit(name))
	for _, x := range args {
		words = append(words, toWord(x))
	}
	u, ok := shellcmd.Peel(words, c.stdin != stdinTerminal)
	if !ok {
		return nil, false
	}
	for _, code := range u.Code {
		a.reparse(codeArg(code, args), *c, "`"+name+"`")
	}
	if u.Stdin {
		a.stdinCode(name, *c, true)
	}
	if u.Inner <= 0 || u.Inner > len(args) || len(u.Code) > 0 || u.Stdin {
		return nil, true
	}
	rest := args[u.Inner-1:]
	if u.Rewrite != nil {
		rest = nil
		for _, w := range u.Rewrite {
			rest = append(rest, fromWord(w, args))
		}
	}
	return rest, true
}

// toWord turns a risk arg into a shellcmd word.
func toWord(x arg) shellcmd.Word {
	if x.static {
		return shellcmd.Lit(x.s)
	}
	w := shellcmd.Word{Text: x.s, Dynamic: true, Split: x.bare || x.glob}
	if !x.lead {
		if i := strings.IndexAny(x.s, "$~*?["); i >= 0 {
			w.Prefix = x.s[:i]
		}
	}
	return w
}

// fromWord finds the arg a word came from, or makes one.
func fromWord(w shellcmd.Word, args []arg) arg {
	for _, x := range args {
		if x.s == w.Text {
			return x
		}
	}
	if w.Dynamic {
		return arg{s: w.Text, stdin: true, bare: w.Split}
	}
	return arg{s: w.Text, static: true}
}

// codeArg is the arg holding a string run as code, so its findings
// (downloaded, decoded) carry over; joined words become a new arg.
func codeArg(code shellcmd.Word, args []arg) arg {
	for _, x := range args {
		if x.s == code.Text {
			return x
		}
	}
	out := arg{s: code.Text, static: !code.Dynamic}
	for _, x := range args {
		if strings.Contains(code.Text, x.s) {
			out.fetch, out.decode, out.subst = out.fetch || x.fetch, out.decode || x.decode, out.subst || x.subst
			if out.param == "" {
				out.param = x.param
			}
			if out.inner == "" {
				out.inner = x.inner
			}
		}
	}
	// {} of parallel stands for each input: the code's words are parsed
	// with it as a plain word.
	return out
}

// skipOpts drops leading options; valued names take the next word too.
func skipOpts(args []arg, valued ...string) []arg {
	for len(args) > 0 {
		s := args[0].s
		if s == "--" {
			return args[1:]
		}
		if len(s) < 2 || s[0] != '-' {
			return args
		}
		args = args[1:]
		for _, v := range valued {
			if s == v && len(args) > 0 {
				args = args[1:]
				break
			}
		}
	}
	return args
}

func (a *assessor) sudo(name string, args []arg, c *ctx) []arg {
	shell := false
	i := 0
	for ; i < len(args); i++ {
		s := args[i].s
		if s == "--" {
			i++
			break
		}
		if len(s) < 2 || s[0] != '-' || strings.Contains(s, "=") && !strings.HasPrefix(s, "--") {
			break
		}
		switch s {
		case "-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-T", "-U", "--user", "--group", "--host", "--prompt", "--chdir":
			i++
			continue
		case "-i", "-s", "--login", "--shell", "-is", "-si":
			shell = true
		}
		if !strings.HasPrefix(s, "--") && (strings.Contains(s, "i") || strings.Contains(s, "s")) && len(s) <= 4 {
			shell = true
		}
	}
	rest := args[min(i, len(args)):]
	c.sudo = true
	if len(rest) == 0 {
		if shell || name == "pkexec" {
			a.add(CatPrivilege, LevelHigh, "opens an interactive root shell with `"+name+"`")
		}
		return nil
	}
	// A plain "sudo apt-get install" is routine on runners; the wrapped
	// command's own findings carry the real risk.
	who := "root"
	if u := flagValue(args[:i], "-u", "--user"); u != "" {
		who = "user " + quote(u)
	}
	a.add(CatPrivilege, LevelLow, "runs "+quote(rest[0].s)+" as "+who+" with `"+name+"`")
	return rest
}

func (a *assessor) env(args []arg, c *ctx) ([]arg, bool) {
	for len(args) > 0 {
		s := args[0].s
		switch {
		case s == "-u" || s == "-C" || s == "--unset" || s == "--chdir":
			args = args[min(2, len(args)):]
		case s == "-S" || s == "--split-string":
			if len(args) > 1 {
				a.reparse(args[1], *c, "`env -S`")
			}
			return nil, true
		case s == "--":
			args = args[1:]
		case strings.HasPrefix(s, "-"):
			args = args[1:]
		case strings.Contains(s, "=") && !strings.HasPrefix(s, "="):
			n, _, _ := strings.Cut(s, "=")
			a.assignment(n, nil, *c)
			args = args[1:]
		default:
			return args, true
		}
	}
	a.envDump("env", *c)
	return nil, true
}

func (a *assessor) xargs(args []arg, c ctx) []arg {
	rest := skipOpts(args, "-I", "-n", "-P", "-L", "-l", "-d", "-E", "-e", "-s", "-a", "--max-args", "--max-procs", "--delimiter", "--arg-file", "--replace")
	if len(rest) == 0 {
		return nil
	}
	// With "echo / | xargs rm -rf" the input is visible: use its words.
	input := []arg{{s: "{input}", stdin: true}}
	if c.stdin == stdinText {
		if f := strings.Fields(c.hdoc); len(f) > 0 && len(f) <= 16 {
			input = input[:0]
			for _, w := range f {
				input = append(input, arg{s: w, static: true})
			}
		}
	}
	out := make([]arg, 0, len(rest)+len(input))
	replaced := false
	rep := flagValue(args, "-I", "--replace")
	for _, x := range args {
		if rep == "" && strings.HasPrefix(x.s, "-I") && len(x.s) > 2 {
			rep = x.s[2:]
		}
	}
	for _, r := range rest {
		if r.s == "{}" || r.s == "%" || r.s == "_" || rep != "" && r.s == rep {
			out = append(out, input...)
			replaced = true
			continue
		}
		if rep != "" && strings.Contains(r.s, rep) {
			// sh -c 'rm -rf {}': the input lands inside the code.
			// Unknown input reads as a variable the rules know may be
			// anything (and empty).
			in := "${XARGS_INPUT}"
			if !input[0].stdin {
				in = joinArgs(input)
			}
			r.s = strings.ReplaceAll(r.s, rep, in)
			replaced = true
		}
		out = append(out, r)
	}
	if replaced {
		return out
	}
	return append(out, input...)
}

// toolRun handles "bundle exec", "poetry run", "npm exec --", "yarn prisma …":
// the inner command is a known tool or a project script.
func (a *assessor) toolRun(name string, args []arg, c *ctx) ([]arg, bool) {
	p := positionals(args, "-n", "--name", "-p", "--prefix", "-C", "--cwd", "--filter", "-F", "-w", "--workspace", "-e", "--environment")
	if len(p) == 0 {
		return nil, false
	}
	sub := p[0].s
	switch sub {
	case "exec", "run", "x", "dlx", "shell", "develop":
		if name == "npm" || name == "yarn" || name == "pnpm" || name == "bun" {
			if sub == "run" && len(p) > 1 {
				return a.packageScript(name, p[1].s), true
			}
		}
		if i := flagIndex(args, "--"); i >= 0 {
			return args[i+1:], true
		}
		rest := p[1:]
		if name == "aws-vault" || name == "chamber" || name == "direnv" || name == "conda" && len(rest) > 1 {
			if name != "conda" && len(rest) > 0 {
				rest = rest[1:]
			}
		}
		if v := flagValue(args, "--run", "--command", "-c"); v != "" && (name == "nix-shell" || name == "nix" || name == "devbox") {
			a.script(v, ctx{depth: c.depth + 1, sudo: c.sudo}, false)
			return nil, true
		}
		return rest, true
	}
	if (name == "yarn" || name == "pnpm" || name == "bun" || name == "npm") && knownTool(sub) {
		return p, true
	}
	return nil, false
}

// packageScript reports a package.json script, which is not visible here.
func (a *assessor) packageScript(tool, script string) []arg {
	a.opaque(tool + " run " + script)
	return nil
}

// localTool lists packages usually pinned in the project that npx merely
// runs from node_modules.
func localTool(s string) bool {
	switch s {
	case "eslint", "prettier", "tsc", "jest", "vitest", "mocha", "playwright", "cypress", "webpack", "vite", "next", "nx", "turbo", "lerna",
		"semantic-release", "changeset", "ts-node", "tsx", "rollup", "esbuild", "stylelint", "husky", "lint-staged", "commitlint", "cdk", "serverless", "sls",
		"prisma", "knex", "sequelize", "sequelize-cli", "typeorm", "drizzle-kit", "firebase", "vercel", "netlify", "wrangler", "ng", "nuxt", "astro", "storybook", "tailwindcss", "pytest", "ruff", "black":
		return true
	}
	return false
}

// knownTool lists tools that yarn/pnpm often run directly and that have rules.
func knownTool(s string) bool {
	switch s {
	case "prisma", "knex", "sequelize", "sequelize-cli", "typeorm", "cdk", "serverless", "sls", "firebase",
		"vercel", "netlify", "wrangler", "drizzle-kit", "db-migrate", "migrate", "node-pg-migrate", "rimraf", "del-cli":
		return true
	}
	return false
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
