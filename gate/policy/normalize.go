package policy

import (
	"strings"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

// CanonicalCommand is the one canonical text of a command: what remembered
// and learned commands are keyed by (risk.Normalize is the same function),
// and what `stepgate policy test` shows. It is the shell syntax tree printed
// on one line with words in one canonical quoting (`kubectl get 'pods'` and
// `kubectl get pods` are one text, `\rm` is rm, `$'\x72m'` is rm); see
// shellcmd.Canonical. Patterns are matched on the tree, where `rm -rf` and
// `rm -fr` are also alike (see the package documentation).
func CanonicalCommand(command string) string { return shellcmd.Canonical(command) }

// NormalizeCommand is CanonicalCommand.
//
// Deprecated: use CanonicalCommand.
func NormalizeCommand(command string) string { return CanonicalCommand(command) }

// normalize is CanonicalCommand and whether the command was valid shell;
// the text-glob tests (glob_test.go) use it with barriers.
func normalize(command string) (string, bool) { return shellcmd.CanonicalValid(command) }

func collapseLines(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// normalizePattern normalises a text glob the way commands are normalised.
// A '#' would start a shell comment and silently shorten the pattern, so
// such patterns only get their whitespace collapsed.
func normalizePattern(p string) string {
	if strings.Contains(p, "#") {
		return collapseLines(p)
	}
	return CanonicalCommand(p)
}

// barriers marks the bytes of a normalised command that act as shell
// control operators: ; & | < > ( ) newline and backquote outside quotes, and
// backquote and "$(" inside double quotes. '*' never matches across them, so
// `kubectl get *` does not allow `kubectl get pods; rm -rf /`. When the
// command was not valid shell (valid false) quotes are ignored and every
// such byte is a barrier: bash may still run the lines before the error.
// nil means none.
func barriers(s string, valid bool) []bool {
	if !valid {
		return operatorBytes(s)
	}
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
	state, dollar := plain, -1 // dollar: index of the last unescaped '$'
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case plain:
			switch {
			case c == '\\':
				i++
			case c == '$':
				dollar = i
			case c == '\'' && dollar == i-1:
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

// operatorBytes marks every operator byte, quoted or not.
func operatorBytes(s string) []bool {
	var out []bool
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(";&|<>()\n`", s[i]) >= 0 {
			if out == nil {
				out = make([]bool, len(s))
			}
			out[i] = true
		}
	}
	return out
}
