package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// FindUp walks up from the working directory and returns the first
// existing dir/rel: how tests find the repository root's node_modules
// (GitHub's OpenAPI description, webhook examples and schemas).
func FindUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found above the working directory (run npm ci)", rel)
		}
		dir = parent
	}
}

// NodeFile loads, once per test binary, something the tests read from
// node_modules (rel, found with FindUp) and returns a getter for tests:
// without it, a test is skipped locally and fails in CI (CI set), so a
// missing `npm ci` never silently drops a check there.
func NodeFile[T any](what, rel string, load func(path string) (T, error)) func(testing.TB) T {
	get := sync.OnceValues(func() (T, error) {
		p, err := FindUp(rel)
		if err != nil {
			var zero T
			return zero, err
		}
		return load(p)
	})
	return func(t testing.TB) T {
		t.Helper()
		v, err := get()
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s: %v", what, err)
			}
			t.Skipf("%s unavailable (%v); run npm ci", what, err)
		}
		return v
	}
}
