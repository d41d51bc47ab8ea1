package server

import (
	"testing"
	"time"
)

// Tests wait on a condition, never on a fixed sleep: a sleep is either too
// short on a loaded machine (flaky) or longer than needed (slow).

// eventually fails the test unless cond becomes true within 5s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
