package action

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/gate"
)

// shellSpec is how a shell name becomes a process (gate.ResolveShell: the
// App resolves the same input to the same template).
type shellSpec struct{ gate.Shell }

// shellTemplate resolves the shell input: a known name, or a custom
// template that must contain {0}.
func shellTemplate(shell string) (shellSpec, error) {
	sh, err := gate.ResolveShell(shell)
	return shellSpec{sh}, err
}

// argv expands the template for a script path, splitting it into words the
// way a shell would (single and double quotes, backslash in double quotes).
func (s shellSpec) argv(script string) ([]string, error) {
	words, err := splitWords(s.Template)
	if err != nil {
		return nil, fmt.Errorf("shell template %q: %w", s.Template, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("shell template %q is empty", s.Template)
	}
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "{0}", script)
	}
	return words, nil
}

// splitWords is a small quote-aware splitter for shell templates. It does
// not expand anything: templates are data, not shell code.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// shellJoin quotes argv for a POSIX shell so that `stepgate run -- a "b c"`
// runs exactly a and "b c".
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
