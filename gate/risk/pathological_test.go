package risk

import (
	"strings"
	"testing"
	"time"
)

// TestPathologicalInputs feeds inputs built to trigger exponential work in
// naive analysers; each must finish. The bound only catches blow-ups (an
// exponential case would not end at all); speed is BenchmarkAssess's job, and
// under -race on a loaded 2-core CI machine the largest input takes seconds.
func TestPathologicalInputs(t *testing.T) {
	t.Parallel()
	inputs := map[string]string{
		"brace groups":    "rm -rf " + strings.Repeat("{a,b}", 60),
		"nested shellout": nestShellOuts(6),
		"many evals":      strings.Repeat("eval ", 500) + "rm -rf /",
		"wrappers":        strings.Repeat("sudo env nice ", 300) + "rm -rf /",
		"find execs":      strings.Repeat("find . -exec ", 300) + "rm -rf / \\;",
		"gha exprs":       strings.Repeat("${{ x ", 5000),
		"pipes":           strings.Repeat("curl x | ", 3000) + "sh",
	}
	for name, in := range inputs {
		start := time.Now()
		got := Assess(in)
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		if got.Level < LevelNone || got.Level > LevelCritical {
			t.Errorf("%s: level %d out of range", name, got.Level)
		}
	}
}

func nestShellOuts(n int) string {
	code := "rm -rf /"
	for range n {
		code = `python3 -c 'import os; os.system("` + strings.ReplaceAll(code, `"`, `\"`) + `"); os.system("` + strings.ReplaceAll(code, `"`, `\"`) + `")'`
		code = strings.ReplaceAll(code, "'", "'\\''")
	}
	return code
}
