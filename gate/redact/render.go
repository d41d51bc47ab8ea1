package redact

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Visible makes characters that hide or reorder text visible: control
// characters (except newline and tab), bidirectional overrides and isolates,
// zero-width characters and invalid UTF-8 become escapes like \u{202E}.
func Visible(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02X`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case hidden(r):
			fmt.Fprintf(&b, `\u{%04X}`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func hidden(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true // bidi embeddings, overrides, isolates and marks
	case r >= 0x200B && r <= 0x200D, r == 0xFEFF, r == 0x2060, r == 0x00AD:
		return true // zero-width and soft hyphen
	}
	return unicode.Is(unicode.Cf, r)
}

// CodeBlock renders s as a fenced markdown code block that nothing in s can
// close: the fence is longer than any run of backticks inside. Inside a code
// block GitHub renders no HTML, links or @mentions.
func CodeBlock(s string) string {
	s = Visible(s)
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + "text\n" + strings.TrimRight(s, "\n") + "\n" + fence
}

// InlineCode renders s on one line as inline code, cut to at most max runes,
// with the same guarantees as CodeBlock.
func InlineCode(s string, maxRunes int) string {
	s = Visible(strings.Join(strings.Fields(s), " "))
	if utf8.RuneCountInString(s) > maxRunes && maxRunes > 1 {
		r := []rune(s)
		s = string(r[:maxRunes-1]) + "…"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}
