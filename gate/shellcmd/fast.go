package shellcmd

import "strings"

// fastWords splits the common command shape — words of plain characters
// and simple '…' / "…" quotes, no operators, expansions, globs or
// keywords — without the shell parser, which costs several microseconds.
// ok is false for anything else; TestFastPathAgrees checks that both
// readings agree.
func fastWords(s string) ([]Word, bool) {
	var out []Word
	var b strings.Builder
	inWord := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, Lit(b.String()))
				b.Reset()
				inWord = false
			}
			i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, false
			}
			v := s[i+1 : i+1+j]
			for k := 0; k < len(v); k++ {
				if v[k] < 0x20 || v[k] == 0x7f || v[k] >= 0x80 || c == '"' && strings.IndexByte("$`\\!", v[k]) >= 0 {
					return nil, false
				}
			}
			b.WriteString(v)
			inWord = true
			i += j + 2
		case plainByte(c):
			b.WriteByte(c)
			inWord = true
			i++
		default:
			return nil, false
		}
	}
	if inWord {
		out = append(out, Lit(b.String()))
	}
	if len(out) == 0 || strings.ContainsRune(firstRaw(s), '=') || reserved(out[0].Text) {
		return nil, false
	}
	return out, true
}

// firstRaw is the first blank-separated field as written.
func firstRaw(s string) string {
	s = strings.TrimLeft(s, " \t")
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

func plainByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("_@%+=:,./-", c) >= 0
}

// reserved lists words the parser reads as syntax, not as a command name.
func reserved(w string) bool {
	switch w {
	case "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "in",
		"function", "select", "coproc", "time", "declare", "local", "export", "readonly", "typeset", "nameref", "let":
		return true
	}
	return false
}
