package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindUp(t *testing.T) {
	t.Parallel()
	p, err := FindUp("go.mod")
	if err != nil || filepath.Base(p) != "go.mod" || !isDir(filepath.Join(filepath.Dir(p), "internal", "testutil")) {
		t.Errorf("FindUp(go.mod) = %q, %v; want the repository root's go.mod", p, err)
	}
	if _, err := FindUp("no/such/file-stepgate"); err == nil || !strings.Contains(err.Error(), "run npm ci") {
		t.Errorf("FindUp of a missing path: err = %v, want one that says what to run", err)
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
