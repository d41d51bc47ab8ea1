package testutil

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tests wait on a condition they can observe, never on a fixed sleep: a
// sleep is either too short on a loaded machine (flaky) or longer than
// needed (slow), and it passes without showing that what it waited for
// happened.

// pollEvery is how often WaitFor looks again.
const pollEvery = 5 * time.Millisecond

// WaitFor calls cond until it reports true or timeout passes, and reports
// whether it did. It never touches a testing.T, so a goroutine other than
// the test's own may use it (and report a timeout with t.Error).
func WaitFor(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); !cond(); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollEvery)
	}
	return true
}

// Eventually fails the test unless cond becomes true within timeout; what
// names the awaited condition in the failure ("the gate to long-poll").
// Call it from the test's goroutine only (it may call t.Fatal).
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	if !WaitFor(timeout, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// Metric reads the unlabelled series name (a gauge such as
// stepgate_waiting_gates) from the App's GET /metrics at base.
func Metric(base, name string) (float64, error) {
	resp, err := http.Get(strings.TrimSuffix(base, "/") + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("GET /metrics has no series %s", name)
}

// GatesWaiting is a condition for WaitFor and Eventually: at least n gates
// long-poll the App at base, as its stepgate_waiting_gates gauge shows.
func GatesWaiting(base string, n int) func() bool {
	return func() bool {
		v, err := Metric(base, "stepgate_waiting_gates")
		return err == nil && v >= float64(n)
	}
}
