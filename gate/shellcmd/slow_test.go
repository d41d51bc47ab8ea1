package shellcmd

import (
	"strings"
	"testing"
	"time"
)

// Hostile shapes stay cheap: each parses in well under a second.
func TestParsePathological(t *testing.T) {
	t.Parallel()
	for name, cmd := range map[string]string{
		"nested substitutions": strings.Repeat("$(", 2000) + "x" + strings.Repeat(")", 2000),
		"long pipeline":        strings.Repeat("a | ", 20000) + "b",
		"brace product":        "echo " + strings.Repeat("{a,b}", 30),
		"brace range":          "echo {1..1000000000}",
		"eval chain":           strings.Repeat("eval ", 5000) + "x",
		"sudo chain":           strings.Repeat("sudo ", 5000) + "x",
		"bash -c chain":        strings.Repeat("bash -c ", 3000) + "x",
		"many words":           "rm" + strings.Repeat(" -rf /x", 50000),
		"xargs chain":          strings.Repeat("xargs ", 3000) + "rm",
		"find exec chain":      "find" + strings.Repeat(" -exec find", 3000) + " x",
	} {
		start := time.Now()
		tr := Parse(cmd)
		for _, c := range tr.Commands {
			c.Parse()
		}
		if d := time.Since(start); d > time.Second || testing.Verbose() {
			t.Errorf("%s: %v", name, d)
		}
	}
}
