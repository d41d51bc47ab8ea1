package testutil

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	if !WaitFor(5*time.Second, func() bool { return n.Load() == 3 }) {
		t.Errorf("WaitFor = false for a condition that became true")
	}
	start := time.Now()
	if WaitFor(30*time.Millisecond, func() bool { return false }) {
		t.Errorf("WaitFor = true for a condition that never held")
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("WaitFor gave up after %s, before its timeout", took)
	}
}

func TestEventuallyReturnsOnceTrue(t *testing.T) {
	t.Parallel()
	calls := 0
	Eventually(t, time.Second, func() bool { calls++; return calls == 2 }, "the second call")
	if calls != 2 {
		t.Errorf("cond called %d times, want 2", calls)
	}
}

func TestMetric(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "# HELP stepgate_waiting_gates Gates long-polling this replica right now.\n"+
			"# TYPE stepgate_waiting_gates gauge\n"+
			"stepgate_waiting_gates_total 9\n"+
			"stepgate_waiting_gates 2\n")
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name    string
		want    float64
		wantErr bool
	}{
		{"stepgate_waiting_gates", 2, false},
		{"stepgate_waiting_gates_total", 9, false},
		{"stepgate_absent", 0, true},
	}
	for _, tt := range tests {
		got, err := Metric(srv.URL+"/", tt.name)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Metric(%s) = %v, %v; want %v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	if !GatesWaiting(srv.URL, 2)() || GatesWaiting(srv.URL, 3)() {
		t.Errorf("GatesWaiting(2), GatesWaiting(3) = %v, %v; want true, false", GatesWaiting(srv.URL, 2)(), GatesWaiting(srv.URL, 3)())
	}
}
