package risk

import (
	"bufio"
	"fmt"
	"os"
	"testing"
)

func TestDebugPrint(t *testing.T) {
	f := os.Getenv("RISK_DEBUG")
	if f == "" {
		t.Skip()
	}
	fh, _ := os.Open(f)
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		a := Assess(sc.Text())
		fmt.Printf("%-8s %3d %-60s %v\n", a.Level, a.Score, sc.Text(), a.Reasons)
	}
}
