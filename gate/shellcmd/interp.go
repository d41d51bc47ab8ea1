package shellcmd

import (
	"strings"
)

// interpreterCode returns the program text an interpreter runs from its
// arguments (python -c, perl -e, ruby -e, node -e, php -r, awk 'PROG'), or
// ok false.
func interpreterCode(argv []Word) (Word, bool) {
	name := strings.TrimRight(argv[0].Text, "0123456789.")
	var flags string
	switch name {
	case "python", "pypy":
		flags = "-c"
	case "perl", "ruby":
		flags = "-e -E"
	case "node", "nodejs", "bun", "deno":
		flags = "-e --eval -p --print"
	case "php":
		flags = "-r"
	case "awk", "gawk", "mawk", "nawk":
		if i := optScan(argv, 1, "-F -v -f --file --assign --field-separator"); i < len(argv) {
			return argv[i], true
		}
		return Word{}, false
	default:
		return Word{}, false
	}
	return optValue(argv, 1, len(argv), flags)
}

// shellOutMarkers are calls that run a string as a shell command.
var shellOutMarkers = []string{
	"os.system(", "os.popen(", "subprocess.run(", "subprocess.call(", "subprocess.check_call(", "subprocess.check_output(",
	"subprocess.Popen(", "subprocess.getoutput(", "subprocess.getstatusoutput(", "commands.getoutput(", "pty.spawn(",
	"execSync(", "spawnSync(", "execFileSync(", "exec(", "spawn(", "execFile(", "system(", "shell_exec(", "passthru(",
	"popen(", "proc_open(", "pcntl_exec(", "Kernel.system(", "IO.popen(", "Open3.capture2(", "Open3.popen3(",
}

// shellOuts finds the shell commands a program's text runs: string
// literals (or lists of them) passed to system-like calls and backquotes.
// A call whose argument is not a literal is code decided at run time.
func shellOuts(code string) []Word {
	var out []Word
	for _, m := range shellOutMarkers {
		rest := code
		for len(out) < 16 {
			i := strings.Index(rest, m)
			if i < 0 {
				break
			}
			// "exec(" also ends "os.execSync(": count a marker once.
			if i > 0 && identChar(rest[i-1]) && !strings.Contains(m, ".") {
				rest = rest[i+len(m):]
				continue
			}
			rest = rest[i+len(m):]
			arg := strings.TrimLeft(rest, " \t")
			if w, ok := literalArg(arg); ok {
				out = append(out, w)
			} else if !strings.HasPrefix(arg, ")") {
				out = append(out, Word{Text: m + "…", Dynamic: true, Split: true})
			}
		}
	}
	for _, q := range []string{"`", "qx(", "qx{", "%x(", "%x{"} {
		rest := code
		for len(out) < 16 {
			i := strings.Index(rest, q)
			if i < 0 {
				break
			}
			end := map[string]string{"`": "`", "qx(": ")", "qx{": "}", "%x(": ")", "%x{": "}"}[q]
			j := strings.Index(rest[i+len(q):], end)
			if j < 0 {
				break
			}
			body := rest[i+len(q) : i+len(q)+j]
			if strings.ContainsAny(body, "$@#") {
				out = append(out, Word{Text: body, Dynamic: true, Split: true})
			} else {
				out = append(out, Lit(body))
			}
			rest = rest[i+len(q)+j+len(end):]
		}
	}
	return out
}

// identChar: a marker right after one of these is part of another name
// (myexec( is not exec(); .exec( is).
func identChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// literalArg reads a string literal ("…", '…') or a list of them
// (["rm", "-rf", "/"]) at the start of s.
func literalArg(s string) (Word, bool) {
	if strings.HasPrefix(s, "[") || strings.HasPrefix(s, "(") && !strings.HasPrefix(s, "()") {
		var parts []string
		rest := s[1:]
		for {
			rest = strings.TrimLeft(rest, " \t,")
			if strings.HasPrefix(rest, "]") || strings.HasPrefix(rest, ")") {
				break
			}
			lit, n, ok := quoted(rest)
			if !ok {
				return Word{}, false
			}
			parts = append(parts, shellQuote(lit))
			rest = rest[n:]
		}
		if len(parts) == 0 {
			return Word{}, false
		}
		return Lit(strings.Join(parts, " ")), true
	}
	lit, n, ok := quoted(s)
	if !ok {
		return Word{}, false
	}
	// "rm -rf " + path: the rest is decided at run time.
	if after := strings.TrimLeft(s[n:], " \t"); strings.HasPrefix(after, "+") || strings.HasPrefix(after, ".") || strings.HasPrefix(after, "%") {
		return Word{Text: lit + "…", Prefix: lit, Dynamic: true, Split: true}, true
	}
	return Lit(lit), true
}

// quoted reads one '…' or "…" literal (backslash escapes honoured) and
// returns its value and length; f-strings and interpolation are not literals.
func quoted(s string) (string, int, bool) {
	if s == "" || s[0] != '"' && s[0] != '\'' {
		return "", 0, false
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == q:
			v := b.String()
			if q == '"' && (strings.Contains(v, "#{") || strings.Contains(v, "${")) {
				return "", 0, false
			}
			return v, i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// gitConfigCode returns the shell commands git's -c settings make it run:
// alias.NAME=!CMD, core.sshCommand, core.pager, core.editor, core.fsmonitor,
// sequence.editor, diff.external, pager.*, credential.helper=!CMD,
// gpg.program, core.askpass (git-config(1)).
func gitConfigCode(argv []Word) []Word {
	var out []Word
	for i := 1; i+1 < len(argv); i++ {
		s := argv[i].Text
		var v Word
		switch {
		case s == "-c":
			v = argv[i+1]
			i++
		case strings.HasPrefix(s, "-c") && len(s) > 2:
			v = argv[i]
			v.Text, v.Prefix = s[2:], strings.TrimPrefix(v.Prefix, "-c")
		case len(s) > 0 && s[0] != '-':
			return out // the subcommand: -c comes before it
		default:
			continue
		}
		key, val, ok := strings.Cut(v.Text, "=")
		if !ok {
			continue
		}
		k := strings.ToLower(key)
		switch {
		case strings.HasPrefix(k, "alias.") && strings.HasPrefix(val, "!"),
			k == "credential.helper" && strings.HasPrefix(val, "!"):
			val = val[1:]
		case k == "core.sshcommand", k == "core.pager", k == "core.editor", k == "core.fsmonitor", k == "sequence.editor",
			k == "diff.external", strings.HasPrefix(k, "pager."), k == "gpg.program", k == "core.askpass", k == "core.hookspath":
		default:
			continue
		}
		if v.Dynamic {
			out = append(out, Word{Text: val, Dynamic: true, Split: true})
		} else {
			out = append(out, Lit(val))
		}
	}
	return out
}
