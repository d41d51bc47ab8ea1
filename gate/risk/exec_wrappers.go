// Wrappers: sudo, env and xargs, which the assessor reads itself, and the
// rest through gate/shellcmd's wrapper table (nice, timeout, bash -c …).

package risk

import (
	"strings"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

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
		return a.packageRunner(name, args)
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
