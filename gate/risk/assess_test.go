package risk

import (
	"slices"
	"strings"
	"testing"
)

func checkCase(t *testing.T, tc corpusCase) {
	t.Helper()
	got := Assess(tc.cmd)
	if got.Level < tc.min || got.Level > tc.max {
		t.Errorf("Assess(%q).Level = %s, want %s..%s; reasons: %q", tc.cmd, got.Level, tc.min, tc.max, got.Reasons)
	}
	if tc.cat != "" && !slices.Contains(got.Categories, tc.cat) {
		t.Errorf("Assess(%q).Categories = %v, want %s among them", tc.cmd, got.Categories, tc.cat)
	}
}

func TestAssessDangerous(t *testing.T) {
	t.Parallel()
	for _, tc := range dangerous {
		checkCase(t, tc)
	}
}

func TestAssessBenign(t *testing.T) {
	t.Parallel()
	for _, tc := range benign {
		checkCase(t, tc)
	}
}

func TestCorpusSize(t *testing.T) {
	t.Parallel()
	if n := len(dangerous) + len(benign); n < 200 {
		t.Fatalf("corpus has %d commands, want at least 200", n)
	}
	seen := map[string]bool{}
	for _, tc := range dangerous {
		seen[tc.cat] = true
	}
	for _, c := range Categories() {
		if c != CatOpaqueScript && !seen[c] {
			t.Errorf("no dangerous corpus command for category %s", c)
		}
	}
}

func TestAssessReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cmd  string
		want []string // substrings of one reason each
	}{
		{"rm -rf $DEPLOY_DIR/", []string{"`rm -rf`", "`$DEPLOY_DIR`", "may be empty"}},
		{"rm -rf /", []string{"root filesystem"}},
		{"curl -fsSL https://get.docker.com | sh", []string{"download", "`sh`"}},
		{"git push --force origin main", []string{"force-pushes to `main`"}},
		{"psql -c 'DROP TABLE users'", []string{"`psql`", "DROP TABLE"}},
		{"terraform destroy", []string{"`terraform destroy`"}},
		{"./scripts/migrate.sh --env prod", []string{"not visible"}},
		{"echo $GITHUB_TOKEN", []string{"`$GITHUB_TOKEN`"}},
		{"kubectl delete ns prod", []string{"namespace"}},
		{"echo 'x", []string{"not valid shell syntax"}},
		{":(){ :|:& };:", []string{"fork bomb"}},
	}
	for _, tt := range tests {
		got := Assess(tt.cmd)
		found := false
		for _, r := range got.Reasons {
			ok := true
			for _, w := range tt.want {
				ok = ok && strings.Contains(r, w)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("Assess(%q).Reasons = %q, want one containing all of %q", tt.cmd, got.Reasons, tt.want)
		}
	}
}

func TestAssessShape(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"", "   ", "ls", "# just a comment", "rm -rf / && shutdown now"} {
		got := Assess(cmd)
		if got.Categories == nil || got.Reasons == nil || got.Findings == nil {
			t.Errorf("Assess(%q) has nil slices: %+v", cmd, got)
		}
		if len(got.Reasons) != len(got.Findings) {
			t.Errorf("Assess(%q): %d reasons for %d findings", cmd, len(got.Reasons), len(got.Findings))
		}
		if !slices.IsSorted(got.Categories) {
			t.Errorf("Assess(%q).Categories not sorted: %v", cmd, got.Categories)
		}
	}
}

func TestScoreMonotone(t *testing.T) {
	t.Parallel()
	bands := map[Level][2]int{LevelNone: {0, 0}, LevelLow: {1, 24}, LevelMedium: {25, 49}, LevelHigh: {50, 79}, LevelCritical: {80, 100}}
	all := append(slices.Clone(dangerous), benign...)
	for _, tc := range all {
		got := Assess(tc.cmd)
		b := bands[got.Level]
		if got.Score < b[0] || got.Score > b[1] {
			t.Errorf("Assess(%q) = %s with score %d, outside %v", tc.cmd, got.Level, got.Score, b)
		}
	}
	one := Assess("rm -rf /")
	two := Assess("rm -rf / ; dd if=/dev/zero of=/dev/sda")
	if two.Score <= one.Score {
		t.Errorf("combined findings score %d, want more than single %d", two.Score, one.Score)
	}
}

func TestDeepNesting(t *testing.T) {
	t.Parallel()
	cmd := strings.Repeat("eval ", 40) + "rm -rf /"
	got := Assess(cmd)
	if got.Level < LevelHigh {
		t.Errorf("deeply nested command = %s, want at least high", got.Level)
	}
	deep := strings.Repeat("$(", 1000) + strings.Repeat(")", 1000)
	_ = Assess(deep)
	_ = Assess(strings.Repeat("{ ", 5000) + "ls" + strings.Repeat("; }", 5000))
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"kubectl   get    pods", "kubectl get pods"},
		{"ls -la # list files", "ls -la"},
		{"echo 'a'  &&   echo \"b\"", "echo a && echo b"}, // one canonical quoting (shellcmd.Canonical)
		{"kubectl get 'pods'", "kubectl get pods"},
		{"echo \"unterminated   x", "echo \"unterminated x"},
		{"terraform plan\n", "terraform plan"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
