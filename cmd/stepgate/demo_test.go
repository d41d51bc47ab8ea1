package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// lockedWriter lets the demo's goroutines share one buffer.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestDemoAuto(t *testing.T) {
	t.Parallel()
	var stdout, stderr lockedWriter
	if code := runDemo(t.Context(), []string{"--auto"}, &stdout, &stderr); code != 0 {
		t.Fatalf("stepgate demo --auto = %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "checks passed") {
		t.Errorf("no verdict in the output:\n%s", stdout.String())
	}
}

func TestDemoFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"--help"}, 0, "stepgate demo [--auto]"},
		{[]string{"--bogus"}, 2, ""},
		{[]string{"extra"}, 2, ""},
	}
	for _, tc := range tests {
		var stdout, stderr lockedWriter
		if got := runDemo(t.Context(), tc.args, &stdout, &stderr); got != tc.wantCode {
			t.Errorf("runDemo(%q) = %d, want %d (stderr %s)", tc.args, got, tc.wantCode, stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.wantOut) {
			t.Errorf("runDemo(%q) stdout lacks %q:\n%s", tc.args, tc.wantOut, stdout.String())
		}
	}
}
