package risk

import (
	"sync"
	"testing"
)

// TestAssessConcurrent runs the corpus from many goroutines; with -race it
// proves Assess shares no mutable state (the parser pool included).
func TestAssessConcurrent(t *testing.T) {
	t.Parallel()
	want := make(map[string]Level, len(dangerous))
	for _, tc := range dangerous {
		want[tc.cmd] = Assess(tc.cmd).Level
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range dangerous {
				tc := dangerous[(i+g*17)%len(dangerous)]
				if got := Assess(tc.cmd).Level; got != want[tc.cmd] {
					t.Errorf("concurrent Assess(%q) = %s, want %s", tc.cmd, got, want[tc.cmd])
				}
			}
		})
	}
	wg.Wait()
}
