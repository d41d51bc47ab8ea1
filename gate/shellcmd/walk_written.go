// Code a command hands to itself: files written and then run, text echoed
// into a shell, aliases, SQL fed to psql or mysql on standard input.

package shellcmd

import (
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// recordWrites remembers the text a statement writes to a file.
func (w *walker) recordWrites(s *syntax.Stmt) {
	ce, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 || len(s.Redirs) == 0 || w.pattern {
		return
	}
	text, ok := "", false
	name := CanonName(ce.Args[0].Lit())
	switch name {
	case "echo", "printf":
		var args []string
		for _, a := range ce.Args[1:] {
			x := convOne(a, false)
			if x.Dynamic {
				return
			}
			args = append(args, x.Text)
		}
		text, ok = Printed(name, args), true
		if name == "echo" {
			text += "\n"
		}
	case "cat", "tee":
		for _, rd := range s.Redirs {
			if rd.Hdoc != nil {
				t := convOne(rd.Hdoc, false)
				if rd.Word != nil && quotedDelim(rd.Word) {
					t = Lit(rawText(rd.Hdoc))
				}
				text, ok = t.Text, true
			}
		}
	}
	if !ok {
		return
	}
	for _, rd := range s.Redirs {
		if rd.Op != syntax.RdrOut && rd.Op != syntax.AppOut && rd.Op != syntax.RdrClob || rd.Word == nil {
			continue
		}
		t := convOne(rd.Word, false)
		if t.Dynamic {
			continue
		}
		if w.written == nil {
			w.written = map[string]string{}
		}
		if len(w.written) >= 16 {
			return
		}
		p := CanonPath(t.Text)
		if rd.Op == syntax.AppOut {
			w.written[p] += text
		} else {
			w.written[p] = text
		}
	}
}

// alias records `alias NAME=TEXT` and expands a command named after an
// alias defined earlier; it reports whether argv was an expanded alias.
func (w *walker) alias(argv []Word, e env) bool {
	name := argv[0].Text
	if name == "alias" {
		for _, a := range argv[1:] {
			n, v, ok := strings.Cut(a.Text, "=")
			if !ok || n == "" || len(w.aliases) >= 32 {
				continue
			}
			if w.aliases == nil {
				w.aliases = map[string]string{}
			}
			if a.Dynamic {
				v = "${ALIAS_VALUE}"
			}
			w.aliases[n] = v
		}
		return false
	}
	v, ok := w.aliases[name]
	if !ok || e.depth > maxDepth {
		return false
	}
	delete(w.aliases, name) // an alias does not expand inside itself
	code := joinCode(append([]Word{Lit(v)}, quoteAll(argv[1:])...))
	e.depth++
	w.code([]Word{code}, e.with("alias "+name).noStdin(), "alias")
	w.aliases[name] = v
	return true
}

// sqlStdin: psql and mysql run the SQL on their standard input as if it
// were given with -c / -e; the tree gets that command too, so a pattern
// on -c sees `echo 'DROP …' | psql`.
func (w *walker) sqlStdin(argv []Word, e env, parent int) {
	flag := ""
	switch argv[0].Text {
	case "psql":
		flag = "-c"
	case "mysql", "mariadb":
		flag = "-e"
	default:
		return
	}
	if e.stdin == stdinNone {
		return
	}
	for _, a := range argv[1:] {
		if a.Text == flag || a.Text == "-f" || a.Text == "--file" || strings.HasPrefix(a.Text, "--command") || strings.HasPrefix(a.Text, "--execute") {
			return
		}
	}
	v := Word{Text: "<stdin>", Dynamic: true, Split: true}
	if e.stdin == stdinText {
		v = Lit(e.text)
	}
	sql := append(append([]Word{argv[0]}, argv[1:]...), Lit(flag), v)
	w.emit(Command{Argv: sql, Parent: parent, Via: append(slices.Clip(e.via), "stdin")})
}

// runWritten walks the text of a file written earlier in this command,
// when path is run as a script.
func (w *walker) runWritten(path string, e env) {
	text, ok := w.written[CanonPath(path)]
	if !ok {
		return
	}
	e.depth++
	w.script(text, e.with("script "+path).noStdin())
}

// echoed returns the text that `echo 'x'`, `printf 'x'` or `cat <<EOF`
// writes, so `echo 'rm -rf /' | sh` can be read.
func (w *walker) echoed(s *syntax.Stmt) (string, bool) {
	ce, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 || len(s.Redirs) > 1 {
		return "", false
	}
	var words []Word
	for _, a := range ce.Args {
		words = append(words, convWord(a, false)...)
	}
	if words[0].Dynamic {
		return "", false
	}
	switch name := CanonName(words[0].Text); name {
	case "echo", "printf":
		var args []string
		for _, x := range words[1:] {
			if x.Dynamic {
				return "", false
			}
			args = append(args, x.Text)
		}
		return Printed(name, args), true
	case "cat":
		if len(words) == 1 && len(s.Redirs) == 1 && s.Redirs[0].Hdoc != nil {
			t := w.word(s.Redirs[0].Hdoc)
			return t.Text, !t.Dynamic
		}
	}
	return "", false
}
