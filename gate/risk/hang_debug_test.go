package risk

import (
	"strings"
	"testing"
	"time"

	"mvdan.cc/sh/v3/syntax"
)

func TestHangDebug(t *testing.T) {
	for _, n := range []int{100, 200, 400, 800} {
		src := strings.Repeat("$(", n) + strings.Repeat(")", n)
		s := time.Now()
		syntax.NewParser().Parse(strings.NewReader(src), "")
		t.Logf("parse %d: %v", n, time.Since(s))
		s = time.Now()
		Assess(src)
		t.Logf("subst %d: %v", n, time.Since(s))
	}
	big := strings.Repeat("echo hello world | grep -v foo && rm -rf build/ ; ", 20000)
	s := time.Now()
	Assess(big)
	t.Logf("1MB flat (%d bytes): %v", len(big), time.Since(s))
}
