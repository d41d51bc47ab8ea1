package shellcmd

import (
	"strings"
	"testing"
	"time"
)

// Hostile shapes stay bounded: the walk stops at its limits (the test's
// own timeout catches a runaway; times are logged with -v, not asserted,
// since the CPU is shared).
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
		if len(tr.Commands) > maxCommands+2 {
			t.Errorf("%s: %d commands, over the limit", name, len(tr.Commands))
		}
		t.Logf("%s: %v, %d commands", name, time.Since(start), len(tr.Commands))
	}
}
