//go:build linux

package policy

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stepgate/stepgate/gate/risk"
)

// BenchmarkEvaluate1000RulesCPU reports the CPU time this thread spent per
// evaluation (cpu-ns/op). On a shared, oversubscribed machine wall-clock
// ns/op mostly measures the other processes; CPU time does not.
func BenchmarkEvaluate1000RulesCPU(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := policyWithRules(b, 1000)
	f := Facts{Command: `./scripts/migrate.sh --env 'prod' --note "nightly run"`, Environment: "production", Risk: risk.LevelHigh}
	var before, after unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &before); err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		p.Evaluate(f)
		n++
	}
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &after); err != nil {
		b.Fatal(err)
	}
	cpu := (after.Utime.Nano() + after.Stime.Nano()) - (before.Utime.Nano() + before.Stime.Nano())
	b.ReportMetric(float64(cpu)/float64(n), "cpu-ns/op")
}
