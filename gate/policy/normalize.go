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
	b := barrierScan{s: s, dollar: -1}
	for i := 0; i < len(s); i++ {
		switch b.state {
		case quotePlain:
			i = b.plain(i)
		case quoteSingle:
			if s[i] == '\'' {
				b.state = quotePlain
			}
		case quoteANSI:
			if s[i] == '\\' {
				i++
			} else if s[i] == '\'' {
				b.state = quotePlain
			}
		case quoteDouble:
			i = b.double(i)
		}
	}
	return b.out
}

// quoting is the quoting state at a byte of a command.
type quoting uint8

const (
	quotePlain  quoting = iota
	quoteSingle         // '...'
	quoteANSI           // $'...': backslash escapes
	quoteDouble         // "..."
)

// barrierScan is barriers' state while it reads s.
type barrierScan struct {
	s      string
	out    []bool
	state  quoting
	dollar int // index of the last unescaped '$'
}

func (b *barrierScan) mark(i int) {
	if b.out == nil {
		b.out = make([]bool, len(b.s))
	}
	b.out[i] = true
}

// plain reads the unquoted byte at i and returns the index of the last
// byte it consumed (an escape consumes two).
func (b *barrierScan) plain(i int) int {
	switch c := b.s[i]; {
	case c == '\\':
		i++
	case c == '$':
		b.dollar = i
	case c == '\'' && b.dollar == i-1:
		b.state = quoteANSI
	case c == '\'':
		b.state = quoteSingle
	case c == '"':
		b.state = quoteDouble
	case strings.IndexByte(";&|<>()\n`", c) >= 0:
		b.mark(i)
	}
	return i
}

// double reads the byte at i inside "…": backquotes and $( still run code.
func (b *barrierScan) double(i int) int {
	s := b.s
	switch c := s[i]; {
	case c == '\\':
		i++
	case c == '"':
		b.state = quotePlain
	case c == '`':
		b.mark(i)
	case c == '$' && i+1 < len(s) && s[i+1] == '(':
		b.mark(i)
		b.mark(i + 1)
	}
	return i
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
