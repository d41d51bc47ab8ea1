// Redacting a shell command without changing its syntax: Command, and
// Shown for what the App displays.

package redact

import (
	"errors"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Command redacts a shell command without changing what it does or how it
// reads (security invariant 9). It parses src as bash, finds secrets in each
// word (and in each comment and here-document body) and replaces them only
// inside the word's literal parts: unquoted text, single- and double-quoted
// text, here-document bodies and comments. Expansions, substitutions,
// operators and redirections are never touched, so everything that runs
// stays visible: a secret-looking prefix (a PEM header, --token=…) can hide
// at most the rest of its own word.
//
// The redacted text is parsed again and must have the same syntax tree shape
// as src (same commands, operators, expansions, redirections, nesting). If it
// would not, or src does not parse, Command returns an error that says why
// and names no secret. Mask ("***") is an opaque literal in the result.
//
// secrets are known secret values (the runner's); values shorter than 4
// bytes are ignored. Command is idempotent: redacting its own output
// changes nothing, so the App can redact a received command again.
func Command(src string, secrets []string) (string, error) {
	file, err := parse(src)
	if err != nil {
		return "", fmt.Errorf("cannot redact the command: it does not parse as a shell script: %s", safeParseError(err, secrets))
	}
	var units []unit
	syntax.Walk(file, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Word:
			units = append(units, wordUnit(src, n))
		case *syntax.Comment:
			start := int(n.Hash.Offset()) + 1
			units = append(units, unit{pieces: []piece{{text: n.Text, start: start, lit: true}}})
		}
		return true
	})
	var spans []span
	for _, u := range units {
		spans = append(spans, u.find(secrets)...)
	}
	spans = append(spans, contextSpans(src, file)...)
	spans = append(spans, acrossWords(src, units, secrets)...)
	out := applySpans(src, spans)
	if out == src {
		return src, nil
	}
	again, err := parse(out)
	if err != nil {
		return "", errors.New("cannot redact the command without changing its syntax: the redacted text no longer parses; the gate refuses to send a command it cannot show faithfully (move the secret into an environment variable)")
	}
	if a, b := shape(file), shape(again); a != b {
		return "", fmt.Errorf("cannot redact the command without changing its syntax: %s; the gate refuses to send a command it cannot show faithfully (move the secret into an environment variable)", firstDifference(a, b))
	}
	return out, nil
}

func parse(src string) (*syntax.File, error) {
	return syntax.NewParser(syntax.KeepComments(true), syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
}

// safeParseError keeps the position and the parser's message, with anything
// secret-looking in it masked (parser messages can quote source text).
func safeParseError(err error, secrets []string) string {
	var pe syntax.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d, column %d: %s", pe.Pos.Line(), pe.Pos.Col(), String(pe.Text, secrets...))
	}
	return String(err.Error(), secrets...)
}

// Shown is cmd as the App shows it: Command's structure-preserving
// redaction, or — for text that does not parse as a shell script (a
// script for another shell, a legacy record) — String applied line by
// line, so a mask never hides a line after the one it starts in.
func Shown(cmd string) string {
	if out, err := Command(cmd, nil); err == nil {
		return out
	}
	lines := strings.SplitAfter(cmd, "\n")
	for i, l := range lines {
		lines[i] = String(l)
	}
	return strings.Join(lines, "")
}
