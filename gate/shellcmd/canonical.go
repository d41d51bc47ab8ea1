package shellcmd

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// Canonical is the one canonical text of a command: what remembered and
// learned commands are keyed by (policy.CanonicalCommand and
// risk.Normalize are this function). It is the shell syntax tree printed on
// one line, so runs of blanks collapse and `a;b` reads `a; b`; words are
// written in one canonical quoting (`'pods'` and `pods` are pods, `"a b"`
// is 'a b', `\rm` is rm, `$'\x72m'` is rm). Two commands with the same
// canonical text run the same thing. Text the shell parser rejects falls
// back to collapsing blanks within each line (newlines stay: they separate
// commands). Comments are dropped: they never run.
func Canonical(command string) string {
	s, _ := CanonicalValid(command)
	return s
}

// CanonicalValid is Canonical and whether the command was valid shell.
func CanonicalValid(command string) (string, bool) {
	if isPlain(command) {
		return strings.Join(strings.Fields(command), " "), true
	}
	if out, ok := fastNormalize(command); ok {
		return out, true
	}
	return parseNormalize(command)
}

func collapseLines(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// parseNormalize is the general path through the shell syntax tree.
func parseNormalize(command string) (string, bool) {
	f, err := syntax.NewParser().Parse(strings.NewReader(command), "")
	if err != nil {
		return collapseLines(command), false
	}
	// Walk is pre-order: a CallExpr is seen before its words.
	var cmdName *syntax.Word
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			if len(n.Args) > 0 {
				cmdName = n.Args[0]
			}
		case *syntax.Redirect:
			// Heredoc delimiters and bodies are bytes, not words.
			return n.Op != syntax.Hdoc && n.Op != syntax.DashHdoc
		case *syntax.Word:
			canonicalWord(n, n == cmdName)
		}
		return true
	})
	var b bytes.Buffer
	if err := syntax.NewPrinter(syntax.SingleLine(true)).Print(&b, f); err != nil {
		return collapseLines(command), false
	}
	return strings.TrimRight(b.String(), "\n"), true
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

// fastNormalize handles the common shape (words of safe characters and
// simple '…' / "…" quotes, no operators or expansions) without the shell
// parser, which costs ~10µs. Its output must equal the parser path's;
// FuzzCanonical checks that.
func fastNormalize(s string) (string, bool) {
	var out strings.Builder
	var segs []segment
	words, bail := 0, false
	flush := func() {
		if segs != nil {
			if words > 0 {
				out.WriteByte(' ')
			}
			// Any word may be a command name after assignments, so check all.
			w, ok := renderSegs(segs, true)
			if !ok {
				bail = true
			}
			out.WriteString(w)
			words++
			segs = nil
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
			i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return "", false
			}
			v := s[i+1 : i+1+j]
			if (c == '"' && strings.ContainsAny(v, "$`\\!")) || !printable(v) {
				return "", false
			}
			segs = appendSeg(segs, segment{v, true})
			i += j + 2
		case safeByte(c) || c == '*' || c == '?':
			j := i
			for j < len(s) && (safeByte(s[j]) || s[j] == '*' || s[j] == '?') {
				j++
			}
			segs = appendSeg(segs, segment{s[i:j], false})
			i = j
		default:
			return "", false
		}
	}
	flush()
	return out.String(), !bail
}

// printable: the parser treats control bytes and invalid UTF-8 in its own
// ways, so the fast path leaves them to it.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// renderSegs prints a word's segments canonically. ok=false means the word
// must stay as written: `'X'=1 cmd` runs a command named X=1, and printing
// it unquoted would turn it into an assignment.
func renderSegs(segs []segment, cmdName bool) (string, bool) {
	var b strings.Builder
	for _, s := range segs {
		switch {
		case !s.quoted:
			b.WriteString(s.text)
		case s.text != "" && allSafe(s.text):
			b.WriteString(s.text)
		default:
			b.WriteString(singleQuote(s.text))
		}
	}
	out := b.String()
	if cmdName && looksAssign(out) && (segs[0].quoted || !looksAssign(segs[0].text)) {
		return "", false
	}
	return out, true
}

// looksAssign reports whether s starts like a shell assignment: NAME= or NAME+=.
func looksAssign(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		case c == '=' && i > 0:
			return true
		case c == '+' && i > 0 && i+1 < len(s) && s[i+1] == '=':
			return true
		default:
			return false
		}
	}
	return false
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
			if !strings.ContainsRune(p.Value, '\\') {
				segs = appendSeg(segs, segment{p.Value, false})
				continue
			}
			// \x is a quoted x; a backslash-newline joins lines.
			v := p.Value
			for i := 0; i < len(v); i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
					if v[i] != '\n' {
						segs = appendSeg(segs, segment{v[i : i+1], true})
					}
					continue
				}
				segs = appendSeg(segs, segment{v[i : i+1], false})
			}
		case *syntax.SglQuoted:
			v := p.Value
			if p.Dollar {
				if v = DecodeANSI(v); !printable(v) {
					return
				}
			}
			segs = appendSeg(segs, segment{v, true})
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
	text, ok := renderSegs(segs, cmdName)
	if !ok {
		return
	}
	w.Parts = []syntax.WordPart{&syntax.Lit{ValuePos: w.Pos(), ValueEnd: w.End(), Value: text}}
}

func appendSeg(segs []segment, s segment) []segment {
	if n := len(segs); n > 0 && segs[n-1].quoted == s.quoted {
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
