package policy

import (
	"bytes"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// NormalizeCommand returns the canonical text that command globs are matched
// against: the shell syntax tree printed on one line, so runs of blanks
// collapse and `a;b` reads `a; b`, and words whose quotes change nothing are
// unquoted (`'pods'` -> `pods`, `"a b"` -> `'a b'`). Text the shell parser
// rejects falls back to collapsing whitespace. Comments are dropped: they
// never run.
func NormalizeCommand(command string) string {
	if isPlain(command) {
		return strings.Join(strings.Fields(command), " ")
	}
	f, err := syntax.NewParser().Parse(strings.NewReader(command), "")
	if err != nil {
		return strings.Join(strings.Fields(command), " ")
	}
	cmdNames := map[*syntax.Word]bool{}
	syntax.Walk(f, func(n syntax.Node) bool {
		if c, ok := n.(*syntax.CallExpr); ok && len(c.Args) > 0 {
			cmdNames[c.Args[0]] = true
		}
		return true
	})
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Redirect:
			// Heredoc delimiters and bodies are bytes, not words.
			return n.Op != syntax.Hdoc && n.Op != syntax.DashHdoc
		case *syntax.Word:
			canonicalWord(n, cmdNames[n])
		}
		return true
	})
	var b bytes.Buffer
	if err := syntax.NewPrinter(syntax.SingleLine(true)).Print(&b, f); err != nil {
		return strings.Join(strings.Fields(command), " ")
	}
	return strings.TrimRight(b.String(), "\n")
}

// normalizePattern normalises a glob the way commands are normalised, so
// `kubectl  get 'pods'` in a policy means what it says. A '#' would start a
// shell comment and silently shorten the pattern, so such patterns only get
// their whitespace collapsed.
func normalizePattern(p string) string {
	if strings.Contains(p, "#") {
		return strings.Join(strings.Fields(p), " ")
	}
	return NormalizeCommand(p)
}

// isPlain reports whether s has nothing the shell would interpret beyond
// splitting on blanks; such commands skip the parser (the common case).
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || (c == '*' || c == '?') || safeByte(c) {
			continue
		}
		return false
	}
	return true
}

// safeByte: characters that never need quoting in any word position.
func safeByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("_@%+=:,./-", c) >= 0
}

type segment struct {
	text   string
	quoted bool
}

// canonicalWord rewrites w in place when all its parts are plain literals or
// quotes around literals. Anything with expansions is left as printed.
func canonicalWord(w *syntax.Word, cmdName bool) {
	var segs []segment
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			if strings.ContainsRune(p.Value, '\\') {
				return
			}
			segs = appendSeg(segs, segment{p.Value, false})
		case *syntax.SglQuoted:
			if p.Dollar {
				return
			}
			segs = appendSeg(segs, segment{p.Value, true})
		case *syntax.DblQuoted:
			v, ok := dblValue(p)
			if !ok {
				return
			}
			segs = appendSeg(segs, segment{v, true})
		default:
			return
		}
	}
	var b strings.Builder
	quotedEq := false
	for _, s := range segs {
		switch {
		case !s.quoted:
			b.WriteString(s.text)
		case s.text != "" && allSafe(s.text):
			quotedEq = quotedEq || strings.Contains(s.text, "=")
			b.WriteString(s.text)
		default:
			b.WriteString(singleQuote(s.text))
		}
	}
	// `'X=1' cmd` runs a command named X=1; unquoting would make it an
	// assignment, so leave command names with quoted '=' alone.
	if cmdName && quotedEq {
		return
	}
	w.Parts = []syntax.WordPart{&syntax.Lit{ValuePos: w.Pos(), ValueEnd: w.End(), Value: b.String()}}
}

func appendSeg(segs []segment, s segment) []segment {
	if n := len(segs); n > 0 && segs[n-1].quoted && s.quoted {
		segs[n-1].text += s.text
		return segs
	}
	return append(segs, s)
}

func dblValue(q *syntax.DblQuoted) (string, bool) {
	if q.Dollar {
		return "", false
	}
	var b strings.Builder
	for _, p := range q.Parts {
		lit, ok := p.(*syntax.Lit)
		if !ok {
			return "", false
		}
		v := lit.Value
		for i := 0; i < len(v); i++ {
			// Inside double quotes a backslash only escapes these.
			if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("$`\"\\\n", v[i+1]) >= 0 {
				i++
				if v[i] == '\n' {
					continue
				}
			}
			b.WriteByte(v[i])
		}
	}
	return b.String(), true
}

func allSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if !safeByte(s[i]) {
			return false
		}
	}
	return true
}

func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// barriers marks the bytes of a normalised command that act as shell
// control operators: ; & | < > ( ) newline and backquote outside quotes, and
// backquote and "$(" inside double quotes. '*' never matches across them, so
// `kubectl get *` does not allow `kubectl get pods; rm -rf /`. nil means none.
func barriers(s string) []bool {
	var out []bool
	mark := func(i int) {
		if out == nil {
			out = make([]bool, len(s))
		}
		out[i] = true
	}
	const (
		plain = iota
		single
		ansi // $'...': backslash escapes
		double
	)
	state := plain
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case plain:
			switch {
			case c == '\\':
				i++
			case c == '\'' && i > 0 && s[i-1] == '$':
				state = ansi
			case c == '\'':
				state = single
			case c == '"':
				state = double
			case strings.IndexByte(";&|<>()\n`", c) >= 0:
				mark(i)
			}
		case single:
			if c == '\'' {
				state = plain
			}
		case ansi:
			if c == '\\' {
				i++
			} else if c == '\'' {
				state = plain
			}
		case double:
			switch {
			case c == '\\':
				i++
			case c == '"':
				state = plain
			case c == '`':
				mark(i)
			case c == '$' && i+1 < len(s) && s[i+1] == '(':
				mark(i)
				mark(i + 1)
			}
		}
	}
	return out
}
