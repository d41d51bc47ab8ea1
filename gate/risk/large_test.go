package risk

import (
	"strings"
	"testing"
	"time"
)

// TestLinearTime checks that doubling the input roughly doubles the work,
// for a long flat script and for deeply nested substitutions.
func TestLinearTime(t *testing.T) {
	t.Parallel()
	inputs := []func(n int) string{
		func(n int) string { return strings.Repeat("echo hello world | grep -v foo && rm -rf build/ ; ", n) },
		func(n int) string { return strings.Repeat("$(", n/20) + strings.Repeat(")", n/20) },
		func(n int) string { return strings.Repeat("bash -c 'ls; ", n/20) + strings.Repeat("'", n/20) },
	}
	for i, in := range inputs {
		small, large := in(5000), in(20000)
		ts := cpuMeasure(func() { Assess(small) })
		tl := cpuMeasure(func() { Assess(large) })
		// 4x the input; allow generous slack for noise on shared machines.
		if ts > 0 && tl > 12*ts && tl > 200*time.Millisecond {
			t.Errorf("input %d: %v for 4x input vs %v: not linear", i, tl, ts)
		}
	}
}

func cpuMeasure(fn func()) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		s := cpuTime()
		fn()
		best = min(best, cpuTime()-s)
	}
	return best
}
