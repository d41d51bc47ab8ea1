package risk

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. The benchmark reports
// commands per CPU-second too, because wall-clock figures on a shared,
// loaded machine mostly measure the other tenants.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAssess runs the whole corpus, dangerous and benign mixed, and
// reports assessments per second; run with -cpu 1 for the one-core figure.
func BenchmarkAssess(b *testing.B) {
	cmds := make([]string, 0, len(dangerous)+len(benign))
	for i := 0; i < len(dangerous) || i < len(benign); i++ {
		if i < len(benign) {
			cmds = append(cmds, benign[i].cmd)
		}
		if i < len(dangerous) {
			cmds = append(cmds, dangerous[i].cmd)
		}
	}
	b.ReportAllocs()
	n := 0
	start := cpuTime()
	for b.Loop() {
		_ = Assess(cmds[n%len(cmds)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "commands/s")
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), "commands/cpu-s")
	}
}

// BenchmarkAssessLarge checks that a 1 MB script is assessed in linear time.
func BenchmarkAssessLarge(b *testing.B) {
	big := strings.Repeat("echo hello world | grep -v foo && rm -rf build/ ; ", 20000)
	b.SetBytes(int64(len(big)))
	for b.Loop() {
		_ = Assess(big)
	}
}
