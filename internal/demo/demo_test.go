package demo

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/testutil"
)

func TestAutoPlaysEveryScenario(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var out testutil.SyncBuffer
	start := time.Now()
	err := Run(t.Context(), Options{Auto: true, Stdout: &out, TempRoot: root})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	t.Logf("demo --auto took %s", time.Since(start).Round(time.Millisecond))
	for _, want := range []string{"checks passed", "= allowed", "= approved by bob", "= rejected", "the command did not run", "GitHub review: approved", "GitHub review: rejected"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("temp dir left behind: %v", entries)
	}
}

// TestCancelStopsEverything: Ctrl-C while a step waits for a human ends
// Run promptly, removes the temp dir and leaves no goroutine running.
func TestCancelStopsEverything(t *testing.T) {
	root := t.TempDir()
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	var out testutil.SyncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{Stdout: &out, TempRoot: root}) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "you decide") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo never waited for a reviewer:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return within 15s of the cancel")
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("temp dir left behind: %v", entries)
	}
	// Idle HTTP connections close asynchronously; give them a moment.
	for i := 0; i < 100 && runtime.NumGoroutine() > before+2; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// TestTerminalReviewer answers from "the terminal": a, r, m, as a human
// would when each step waits.
func TestTerminalReviewer(t *testing.T) {
	t.Parallel()
	var out testutil.SyncBuffer
	// A scene that never ends fails here with the story so far, not at the
	// test binary's timeout (the whole demo takes seconds).
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	err := Run(ctx, Options{Stdout: &out, Stdin: strings.NewReader("x\na\nr\nm\na\nr\n"), TempRoot: t.TempDir()})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"type a, m or r", "= approved by bob", "= rejected", "clicks \"remember\"", "= allowed; exit 0",
		"GitHub review: approved", "GitHub review: rejected"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestCheckReportsDifferences: --auto must fail on each kind of wrong outcome.
func TestCheckReportsDifferences(t *testing.T) {
	t.Parallel()
	ran := stepResult{exit: 0, firstOut: time.Now(), outputs: map[string]string{"status": "allowed", "exit-code": "0"}}
	tests := []struct {
		name    string
		want    expect
		res     stepResult
		calls   []ghstandin.Call
		newRuns int
		wantBad int
	}{
		{"all right", expect{status: "allowed", ran: true, noGitHub: true}, ran, nil, 0, 0},
		{"wrong status", expect{status: "approved", ran: true}, ran, nil, 0, 1},
		{"ran but should not", expect{status: "allowed", exit: 3, ran: false}, ran, nil, 0, 2},
		{"GitHub call on the fast path", expect{status: "allowed", ran: true, noGitHub: true}, ran, []ghstandin.Call{{Method: "GET", Route: "/x"}}, 0, 1},
		{"unexpected check run", expect{status: "allowed", ran: true}, ran, nil, 1, 1},
		{"missing check run", expect{status: "allowed", ran: true, checkRun: true}, ran, nil, 0, 1},
		{"wrong approver", expect{status: "allowed", ran: true, approvedBy: "bob"}, ran, nil, 0, 1},
	}
	for _, tc := range tests {
		s := &session{out: &console{w: io.Discard}, auto: true}
		got := s.check(scenario{step: step{n: 1, command: "x"}, want: tc.want}, tc.res, tc.calls, tc.newRuns)
		if len(got) != tc.wantBad {
			t.Errorf("%s: %d failures %q, want %d", tc.name, len(got), got, tc.wantBad)
		}
	}
}
