package ghclient

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTruncateMarkdown: the result fits GitHub's limit, stays valid UTF-8,
// and never leaves a code fence opened by the cut.
func FuzzTruncateMarkdown(f *testing.F) {
	f.Add("```\nrm -rf /\n```", 10)
	f.Add(strings.Repeat("é", 100), 51)
	f.Add("plain text", 64)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = 40 + abs(n)%200 // limits are never tiny
		got := truncateMarkdown(s, n)
		if len(got) > n {
			t.Fatalf("len %d > %d", len(got), n)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 from valid input: %q", got)
		}
		if got != s && strings.Count(got, "```")%2 != 0 {
			t.Fatalf("open fence after truncation: %q", got)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // minimum int
			return 0
		}
		return -n
	}
	return n
}
