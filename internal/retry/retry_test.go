package retry

import (
	"testing"
	"time"
)

func TestExponentialIsJitteredAndBounded(t *testing.T) {
	t.Parallel()
	b := Exponential(time.Second, 8*time.Second)
	for attempt, nominal := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 9: 8 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b(attempt)
			if d < nominal/2 || d > nominal {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, nominal/2, nominal)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Errorf("attempt %d: only %d distinct waits in 200 draws: not jittered", attempt, len(seen))
		}
	}
}

// 1,000 gates told to retry at the same moment do not come back in the same
// second.
func TestClientsSpreadOut(t *testing.T) {
	t.Parallel()
	perSecond := map[int]int{}
	for range 1000 {
		perSecond[RetryAfterSeconds(1, 5)]++
	}
	for s := 1; s <= 5; s++ {
		if n := perSecond[s]; n < 120 || n > 280 {
			t.Errorf("second %d: %d of 1,000 clients, want about 200", s, n)
		}
	}
	seen := map[time.Duration]bool{}
	for range 100 {
		d := Spread(time.Second, time.Second)
		if d < time.Second || d > 2*time.Second {
			t.Fatalf("Spread: %v outside [1s, 2s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Errorf("Spread: %d distinct waits in 100 draws", len(seen))
	}
}

func TestTransient(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{200: false, 400: false, 401: false, 403: false, 404: false, 429: true, 500: true, 502: true, 503: true} {
		if got := Transient(code, nil); got != want {
			t.Errorf("Transient(%d) = %v, want %v", code, got, want)
		}
	}
	if !Transient(0, errTest{}) {
		t.Error("a transport error is transient")
	}
}

type errTest struct{}

func (errTest) Error() string { return "connection refused" }
