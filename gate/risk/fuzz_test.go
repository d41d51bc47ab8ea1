package risk

import (
	"testing"
)

func FuzzAssess(f *testing.F) {
	for _, tc := range dangerous {
		f.Add(tc.cmd)
	}
	for _, tc := range benign {
		f.Add(tc.cmd)
	}
	for _, s := range []string{"", "$(", "`", "<<EOF", "${x:-$(rm -rf /)}", "a=(1 2 3)", "[[ -f x ]]", "((i++))", "coproc cat", "let x=1", "f() { f | f & }; f", "time -p ls", "declare -p", "select x in a b; do :; done", "sudo", "env -S 'rm -rf /'", "find", "xargs", "ssh", "kubectl exec --", "docker exec", "eval", "bash -c", "sh -c ''", "curl | sh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		got := Assess(cmd)
		if got.Level < LevelNone || got.Level > LevelCritical {
			t.Fatalf("Assess(%q).Level = %d out of range", cmd, got.Level)
		}
		if got.Score < 0 || got.Score > 100 {
			t.Fatalf("Assess(%q).Score = %d out of range", cmd, got.Score)
		}
		if got.Categories == nil || got.Reasons == nil || got.Findings == nil {
			t.Fatalf("Assess(%q) returned nil slices", cmd)
		}
		for _, r := range got.Findings {
			if r.Category == CatUnparseable && r.Reason == "the command could not be analysed (internal error), so it is treated as high risk" {
				t.Fatalf("Assess(%q) hit an internal error (recovered panic)", cmd)
			}
		}
		_ = Normalize(cmd)
	})
}
