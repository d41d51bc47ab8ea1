package shellcmd

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// Word is one argument as the program will see it, as far as that can be
// known before anything runs.
type Word struct {
	// Text is the value when the word is static. For a dynamic word it is
	// the static parts with each expansion shown as written ($X, $(…)).
	Text string
	// Prefix is the static text before the first expansion; equal to Text
	// for a static word. A dynamic word can only expand to values starting
	// with Prefix.
	Prefix string
	// Dynamic: the value is decided at run time (a parameter, command
	// substitution, arithmetic, a glob, tilde, input read by xargs …).
	Dynamic bool
	// Split: an unquoted expansion or a glob, which may become zero or
	// several words (and so options) when the command runs.
	Split bool
	// EnvSetup: the word is exactly the output of a tool that prints shell
	// setup code for eval (eval "$(ssh-agent -s)", eval "$(pyenv init -)"),
	// run with literal arguments; that output is not code from the request.
	EnvSetup bool
}

// Lit returns a static word.
func Lit(s string) Word { return Word{Text: s, Prefix: s} }

// dynWord returns a word that may be anything at all.
func dynWord(text string) Word { return Word{Text: text, Dynamic: true, Split: true} }

// MayBeOption reports whether the word is, or may become, an option.
func (w Word) MayBeOption() bool {
	if !w.Dynamic {
		return len(w.Text) > 1 && w.Text[0] == '-'
	}
	return w.Prefix == "" || w.Prefix[0] == '-'
}

// wordConv converts syntax words; it remembers whether any part could not
// be read statically.
type wordConv struct {
	b       strings.Builder
	prefix  int // length of b when the first expansion was met; -1 none yet
	dynamic bool
	split   bool
	pattern bool // policy pattern: globs stay glob syntax, quoted ones escaped
}

// literal writes quoted text. In a pattern, quotes only group words:
// glob characters in them stay globs ('*DROP DATABASE*'), and a literal
// backslash is escaped for the glob.
func (c *wordConv) literal(s string) {
	if !c.pattern || !strings.Contains(s, "\\") {
		c.b.WriteString(s)
		return
	}
	c.b.WriteString(strings.ReplaceAll(s, "\\", "\\\\"))
}

// words converts one syntax word into the words the shell produces from it:
// usually one, several after brace expansion.
func convWord(w *syntax.Word, pattern bool) []Word {
	if hasBraces(w) {
		w2 := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
		if syntax.SplitBraces(w2) {
			var out []Word
			for bw := range braces(w2) {
				if len(out) >= maxBraceWords {
					return []Word{dynWord("{…}")}
				}
				out = append(out, convOne(bw, pattern))
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	return []Word{convOne(w, pattern)}
}

const maxBraceWords = 64

func hasBraces(w *syntax.Word) bool {
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.ContainsRune(l.Value, '{') {
			return true
		}
	}
	return false
}

func convOne(w *syntax.Word, pattern bool) Word {
	c := wordConv{prefix: -1, pattern: pattern}
	for i, p := range w.Parts {
		c.part(p, false, i == 0)
	}
	out := Word{Text: c.b.String(), Dynamic: c.dynamic, Split: c.split, EnvSetup: envSetupWord(w)}
	if c.prefix >= 0 {
		out.Prefix = out.Text[:c.prefix]
	} else {
		out.Prefix = out.Text
	}
	return out
}

func (c *wordConv) expansion(text string, unquoted bool) {
	if c.prefix < 0 {
		c.prefix = c.b.Len()
	}
	c.dynamic = true
	c.split = c.split || unquoted
	c.b.WriteString(text)
}

func (c *wordConv) part(p syntax.WordPart, quoted, first bool) {
	switch x := p.(type) {
	case *syntax.Lit:
		c.lit(x.Value, quoted, first)
	case *syntax.SglQuoted:
		if x.Dollar {
			c.literal(DecodeANSI(x.Value))
		} else {
			c.literal(x.Value)
		}
	case *syntax.DblQuoted:
		for i, q := range x.Parts {
			c.part(q, true, first && i == 0)
		}
	case *syntax.ParamExp:
		name := ""
		if x.Param != nil {
			name = x.Param.Value
		}
		c.expansion("$"+name, !quoted)
	case *syntax.CmdSubst:
		c.expansion("$(…)", !quoted)
	case *syntax.ProcSubst:
		c.expansion("<(…)", false)
	case *syntax.ArithmExp:
		c.expansion("$((…))", !quoted)
	case *syntax.ExtGlob:
		c.expansion(x.Op.String()+x.Pattern.Value+")", true)
	default:
		c.expansion("…", !quoted)
	}
}

// lit decodes a literal part: backslashes removed; unquoted glob characters
// and a leading tilde make the word dynamic.
func (c *wordConv) lit(v string, quoted, first bool) {
	if !quoted && first && strings.HasPrefix(v, "~") && !c.pattern {
		c.expansion("~", false)
		v = v[1:]
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case ch == '\\' && i+1 < len(v):
			i++
			if quoted && !strings.ContainsRune("$`\"\\\n", rune(v[i])) {
				c.literal("\\")
			}
			if v[i] == '\n' {
				continue
			}
			if c.pattern && !quoted {
				c.b.WriteByte('\\') // \* in a pattern is a literal star
			}
			c.literal(v[i : i+1])
		case !quoted && (ch == '*' || ch == '?' || ch == '[') && c.pattern:
			c.b.WriteByte(ch)
		case !quoted && (ch == '*' || ch == '?' || ch == '['):
			c.expansion(string(ch), true)
		case quoted && c.pattern && ch == '\\':
			c.literal(v[i : i+1])
		default:
			c.b.WriteByte(ch)
		}
	}
}

// ansiEscapes are the $'…' escapes that stand for one byte.
var ansiEscapes = map[byte]byte{
	'a': '\a', 'b': '\b', 'e': 0x1b, 'E': 0x1b, 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
}

// DecodeANSI decodes the body of $'…' as bash does.
func DecodeANSI(s string) string {
	if !strings.ContainsRune(s, '\\') {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i = decodeEscape(&b, s, i+1)
	}
	out := b.String()
	if !utf8.ValidString(out) {
		return strings.ToValidUTF8(out, "\uFFFD")
	}
	return out
}

// decodeEscape writes the escape whose letter is s[i] (after a backslash)
// and returns the index of the escape's last byte.
func decodeEscape(b *strings.Builder, s string, i int) int {
	e := s[i]
	if c, ok := ansiEscapes[e]; ok {
		b.WriteByte(c)
		return i
	}
	switch {
	case e == 'c':
		if i+1 < len(s) {
			i++
			b.WriteByte(s[i] & 0x1f)
		}
		return i
	case e == 'x' || e == 'u' || e == 'U':
		return decodeHex(b, s, i)
	case e >= '0' && e <= '7':
		return decodeOctal(b, s, i)
	}
	// \\ \' \" \? and unknown escapes: bash keeps unknown ones.
	if !strings.ContainsRune(`\'"?`, rune(e)) {
		b.WriteByte('\\')
	}
	b.WriteByte(e)
	return i
}

// decodeHex decodes \xHH (a byte), \uHHHH and \UHHHHHHHH (a rune), e at
// s[i]; without a hex digit the escape stays as written.
func decodeHex(b *strings.Builder, s string, i int) int {
	e := s[i]
	n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
	j := i + 1
	for j < len(s) && j < i+1+n && isHex(s[j]) {
		j++
	}
	if j == i+1 {
		b.WriteByte('\\')
		b.WriteByte(e)
		return i
	}
	v, _ := strconv.ParseUint(s[i+1:j], 16, 32)
	if e == 'x' {
		b.WriteByte(byte(v))
	} else {
		b.WriteRune(rune(v))
	}
	return j - 1
}

// decodeOctal decodes \NNN, up to three octal digits from s[i].
func decodeOctal(b *strings.Builder, s string, i int) int {
	j := i
	for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
		j++
	}
	v, _ := strconv.ParseUint(s[i:j], 8, 16)
	b.WriteByte(byte(v))
	return j - 1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// envSetupTools print shell code meant for eval, built by the tool itself
// (not read from the repository): eval "$(ssh-agent -s)".
var envSetupTools = map[string]bool{
	"ssh-agent": true, "gpg-agent": true, "brew": true, "pyenv": true, "rbenv": true, "nodenv": true, "goenv": true,
	"jenv": true, "opam": true, "starship": true, "zoxide": true, "fnm": true, "minikube": true, "dircolors": true,
	"keychain": true, "register-python-argcomplete": true,
}

// envSetupWord: the word is one $(…) (quoted or not) running one simple
// command of envSetupTools with literal arguments.
func envSetupWord(w *syntax.Word) bool {
	parts := w.Parts
	if len(parts) == 1 {
		if dq, ok := parts[0].(*syntax.DblQuoted); ok {
			parts = dq.Parts
		}
	}
	if len(parts) != 1 {
		return false
	}
	cs, ok := parts[0].(*syntax.CmdSubst)
	if !ok || len(cs.Stmts) != 1 || len(cs.Stmts[0].Redirs) > 0 {
		return false
	}
	ce, ok := cs.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 || len(ce.Assigns) > 0 {
		return false
	}
	for _, a := range ce.Args {
		if a.Lit() == "" {
			return false
		}
	}
	return envSetupTools[CanonName(ce.Args[0].Lit())]
}
