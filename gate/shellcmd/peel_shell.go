// Wrappers that run strings as shell code: shells (-c, a script, stdin), env -S,
// eval, su -c, ssh host CMD, script -c, flock -c, watch, trap, source, at.

package shellcmd

import (
	"strings"
)

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "yash", "rbash", "posh", "lksh", "oksh":
		return true
	}
	return false
}

// IsShell reports whether name is a POSIX-style shell (bash, sh, zsh …).
func IsShell(name string) bool { return isShell(name) }

// peelEval: eval joins its words into one string of shell code.
func peelEval(argv []Word, _ stdinKind) peeled {
	if len(argv) < 2 {
		return peeled{}
	}
	return peeled{wrapper: true, inner: 1, code: []Word{joinCode(argv[1:])}}
}

// peelRunuser: runuser -u USER CMD runs CMD; otherwise it is su.
func peelRunuser(argv []Word, stdin stdinKind) peeled {
	if u, ok := optValue(argv, 1, len(argv), "-u --user"); ok && !u.Dynamic {
		return wrapAt(argv, optScan(argv, 1, "-u --user -g --group -G --supp-group -s --shell -w --whitelist-environment"))
	}
	return peelSu(argv, stdin)
}

// peelWatch: watch runs its words as shell code, or as argv with -x.
func peelWatch(argv []Word, _ stdinKind) peeled {
	i := optScan(argv, 1, "-n --interval -q --equexit")
	if i >= len(argv) {
		return peeled{}
	}
	for _, w := range argv[1:i] {
		if w.Text == "-x" || w.Text == "--exec" {
			return wrapAt(argv, i)
		}
	}
	return peeled{wrapper: true, inner: i, code: []Word{joinCode(argv[i:])}}
}

// peelScript: script -c CMD runs CMD as shell code.
func peelScript(argv []Word, _ stdinKind) peeled {
	if v, ok := optValue(argv, 1, len(argv), "-c --command"); ok {
		return peeled{wrapper: true, code: []Word{v}}
	}
	return peelInterpreter(argv)
}

// peelFlock: flock FILE -c CMD runs CMD as shell code; flock FILE CMD runs CMD.
func peelFlock(argv []Word, _ stdinKind) peeled {
	if v, ok := optValue(argv, 1, len(argv), "-c --command"); ok {
		return peeled{wrapper: true, code: []Word{v}}
	}
	i := optScan(argv, 1, "-w --timeout -E --conflict-exit-code")
	return wrapAt(argv, i+1)
}

// peelTrap: trap CODE SIGNAL… runs CODE when the signal arrives.
func peelTrap(argv []Word, _ stdinKind) peeled {
	i := optScan(argv, 1, "")
	if i+1 < len(argv) && argv[i].Text != "-" && (argv[i].Dynamic || argv[i].Text != "") {
		return peeled{code: []Word{argv[i]}}
	}
	return peelInterpreter(argv)
}

// peelSource: `. <(…)` and `. "$F"` run code decided at run time.
func peelSource(argv []Word, _ stdinKind) peeled {
	if len(argv) > 1 && argv[1].Dynamic {
		return peeled{code: []Word{{Text: argv[1].Text, Dynamic: true, Split: true}}}
	}
	return peelInterpreter(argv)
}

// peelAt: at(1) runs its standard input (or -f FILE) later.
func peelAt(argv []Word, stdin stdinKind) peeled {
	if stdin != stdinNone {
		return peeled{wrapper: true, stdin: true}
	}
	return peelInterpreter(argv)
}

// peelShell handles sh/bash: -c STRING, a script file, or stdin.
func peelShell(argv []Word, stdin stdinKind) peeled {
	cflag := false
	i := 1
	for ; i < len(argv); i++ {
		a := argv[i]
		if a.Dynamic {
			break
		}
		s := a.Text
		if s == "--" || s == "-" {
			i++
			break
		}
		if len(s) < 2 || (s[0] != '-' && s[0] != '+') {
			break
		}
		switch s {
		case "-o", "+o", "-O", "+O", "--rcfile", "--init-file":
			i++
			continue
		}
		if s[0] == '-' && s[1] != '-' && strings.ContainsRune(s, 'c') {
			cflag = true
		}
	}
	switch {
	case cflag && i < len(argv):
		return peeled{wrapper: true, inner: i, code: []Word{argv[i]}}
	case cflag:
		return peeled{}
	case i < len(argv) && !stdinFlag(argv[1:i]):
		return peeled{wrapper: true, inner: i, script: true}
	}
	return peeled{wrapper: stdin != stdinNone, stdin: stdin != stdinNone}
}

func stdinFlag(opts []Word) bool {
	for _, w := range opts {
		if w.Text == "-s" || len(w.Text) > 1 && w.Text[0] == '-' && w.Text[1] != '-' && strings.ContainsRune(w.Text, 's') {
			return true
		}
	}
	return false
}

// peelEnv handles env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE]… CMD.
func peelEnv(argv []Word) peeled {
	var p peeled
	i := 1
	for i < len(argv) {
		a := argv[i]
		s := a.Text
		switch {
		case a.Dynamic && a.MayBeOption():
			return peeled{wrapper: true, inner: i}
		case s == "-u" || s == "-C" || s == "--unset" || s == "--chdir":
			i += 2
		case s == "-S" || s == "--split-string":
			if i+1 < len(argv) {
				p.wrapper = true
				p.code = []Word{joinCode(append([]Word{argv[i+1]}, quoteAll(argv[i+2:])...))}
				p.inner = i + 1
			}
			return p
		case strings.HasPrefix(s, "--split-string=") || strings.HasPrefix(s, "-S") && !strings.HasPrefix(s, "--"):
			v, _ := optValue(argv, i, i+1, "-S --split-string")
			p.wrapper, p.inner = true, i
			p.code = []Word{joinCode(append([]Word{v}, quoteAll(argv[i+1:])...))}
			return p
		case s == "--":
			i++
		case len(s) > 1 && s[0] == '-':
			i++
		case s == "-":
			i++
		default:
			if n, _, ok := strings.Cut(s, "="); ok && n != "" && !a.Dynamic || a.Dynamic && strings.Contains(a.Prefix, "=") {
				p.assigns = append(p.assigns, n)
				i++
				continue
			}
			p.wrapper, p.inner = true, i
			return p
		}
	}
	return p
}

// quoteAll marks words to be passed on as single words when joined into code.
func quoteAll(ws []Word) []Word {
	out := make([]Word, len(ws))
	for i, w := range ws {
		if w.Dynamic {
			out[i] = w
			continue
		}
		out[i] = Lit(shellQuote(w.Text))
	}
	return out
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]{}#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// joinCode joins words into one string of shell code, as eval and ssh do.
// If any word is dynamic the code is dynamic: its value may hold operators.
func joinCode(ws []Word) Word {
	if len(ws) == 1 {
		return ws[0]
	}
	var b strings.Builder
	dyn := false
	prefix := -1
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w.Dynamic && !dyn {
			dyn = true
			prefix = b.Len() + len(w.Prefix)
		}
		b.WriteString(w.Text)
	}
	out := Word{Text: b.String(), Dynamic: dyn, Split: dyn}
	out.Prefix = out.Text
	if dyn {
		out.Prefix = out.Text[:prefix]
	}
	return out
}

// peelSSH: ssh [opts] HOST [CMD …] runs the joined words as shell code on
// HOST; -o ProxyCommand/LocalCommand run locally.
func peelSSH(argv []Word, stdin stdinKind) peeled {
	const valued = "-B -b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w"
	var p peeled
	for k := 1; k < len(argv); k++ {
		if argv[k].Text != "-o" || k+1 >= len(argv) {
			continue
		}
		v := argv[k+1]
		key, val, _ := strings.Cut(v.Text, "=")
		if !strings.Contains(v.Text, "=") {
			key, val, _ = strings.Cut(v.Text, " ")
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "proxycommand", "localcommand", "knownhostscommand", "remotecommand":
			c := v
			c.Text = strings.TrimSpace(val)
			if v.Dynamic {
				c = dynWord(v.Text)
			}
			p.code = append(p.code, c)
		}
	}
	i := optScan(argv, 1, valued)
	p.wrapper = true
	if i+1 < len(argv) {
		p.inner = i + 1
		p.code = append(p.code, joinCode(argv[i+1:]))
	} else if stdin != stdinNone {
		p.stdin = true
	} else if len(p.code) == 0 {
		return peeled{}
	}
	return p
}

// peelSu: su [opts] [-] [USER] with -c CMD runs CMD as shell code.
func peelSu(argv []Word, stdin stdinKind) peeled {
	if v, ok := optValue(argv, 1, len(argv), "-c --command --session-command"); ok {
		return peeled{wrapper: true, code: []Word{v}}
	}
	if stdin != stdinNone {
		return peeled{wrapper: true, stdin: true}
	}
	return peeled{}
}
