package action

import (
	"errors"
	"fmt"
	"strings"
)

// shellSpec is how a shell name becomes a process, mirroring GitHub's own
// `run:` steps: the script goes to a file and {0} is its path.
type shellSpec struct {
	template string // e.g. "bash --noprofile --norc -eo pipefail {0}"
	ext      string // script file extension
	prelude  string // added before the script (pwsh: stop on errors)
	suffix   string // added after the script (pwsh: propagate $LASTEXITCODE)
}

// shellTemplate resolves the shell input: a known name, or a custom
// template that must contain {0}.
func shellTemplate(shell string) (shellSpec, error) {
	const pwshPrelude = "$ErrorActionPreference = 'stop'\n"
	const pwshSuffix = "\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }\n"
	switch shell {
	case "", "bash":
		return shellSpec{template: "bash --noprofile --norc -eo pipefail {0}", ext: ".sh"}, nil
	case "sh":
		return shellSpec{template: "sh -e {0}", ext: ".sh"}, nil
	case "python":
		return shellSpec{template: "python {0}", ext: ".py"}, nil
	case "pwsh":
		return shellSpec{template: "pwsh -command \". '{0}'\"", ext: ".ps1", prelude: pwshPrelude, suffix: pwshSuffix}, nil
	case "powershell":
		return shellSpec{template: "powershell -command \". '{0}'\"", ext: ".ps1", prelude: pwshPrelude, suffix: pwshSuffix}, nil
	case "cmd":
		return shellSpec{}, errors.New("input `shell`: cmd is only available on Windows runners; stepgate runs on Linux and macOS")
	}
	if !strings.Contains(shell, "{0}") {
		return shellSpec{}, fmt.Errorf("input `shell`: %q is not bash, sh, python or pwsh, and a custom shell must contain {0} (the script path), e.g. \"perl {0}\"", shell)
	}
	return shellSpec{template: shell}, nil
}

// argv expands the template for a script path, splitting it into words the
// way a shell would (single and double quotes, backslash in double quotes).
func (s shellSpec) argv(script string) ([]string, error) {
	words, err := splitWords(s.template)
	if err != nil {
		return nil, fmt.Errorf("shell template %q: %w", s.template, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("shell template %q is empty", s.template)
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
