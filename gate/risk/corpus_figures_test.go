package risk

import (
	"testing"
)

// Targets of issue #15 for the package's own corpus.
const (
	minDangerous = 1500
	minBenign    = 800
	minRecall    = 0.97 // dangerous commands at their expected level or above
	maxOverflag  = 0.02 // benign commands above low
)

// corpusFigures measures the corpus the way the issue states its targets:
// recall over every dangerous command (pending walk cases included) and
// over-flagging as the share of benign commands rated above low.
func corpusFigures() (recall, overflag float64, nDangerous, nBenign int) {
	all := append(append([]corpusCase(nil), dangerous...), walkPending...)
	hit := 0
	for _, tc := range all {
		if Assess(tc.cmd).Level >= tc.min {
			hit++
		}
	}
	over := 0
	for _, tc := range benign {
		if Assess(tc.cmd).Level > LevelLow {
			over++
		}
	}
	return float64(hit) / float64(len(all)), float64(over) / float64(len(benign)), len(all), len(benign)
}

func TestCorpusFigures(t *testing.T) {
	t.Parallel()
	recall, overflag, nd, nb := corpusFigures()
	t.Logf("corpus: %d dangerous (%d pending on the walk), %d benign; recall %.1f%%, over-flagged %.1f%%", nd, len(walkPending), nb, 100*recall, 100*overflag)
	if nd < minDangerous || nb < minBenign {
		t.Errorf("corpus has %d dangerous and %d benign commands, want at least %d and %d", nd, nb, minDangerous, minBenign)
	}
	if recall < minRecall {
		t.Errorf("recall %.2f%%, want at least %.0f%%", 100*recall, 100*minRecall)
	}
	if overflag > maxOverflag {
		t.Errorf("%.2f%% of benign commands are above low, want at most %.0f%%", 100*overflag, 100*maxOverflag)
	}
}

// TestWalkPending lists the pending walk cases that now pass, so they can
// move into corpus_walk_test.go; it fails on none of them.
func TestWalkPending(t *testing.T) {
	t.Parallel()
	for _, tc := range walkPending {
		got := Assess(tc.cmd)
		if got.Level >= tc.min {
			t.Logf("passes now, move to walkCases: %q (%s)", tc.cmd, got.Level)
		}
	}
}

func TestCorpusNoDuplicates(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, tc := range append(append(append([]corpusCase(nil), dangerous...), walkPending...), benign...) {
		if seen[tc.cmd] {
			t.Errorf("corpus lists %q twice", tc.cmd)
		}
		seen[tc.cmd] = true
	}
}
