package action

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

// firstWrite records when the command's first output arrives: the command's
// first instruction has run by then.
type firstWrite struct {
	once sync.Once
	at   time.Time
}

func (f *firstWrite) Write(p []byte) (int, error) {
	f.once.Do(func() { f.at = time.Now() })
	return len(p), nil
}

// BenchmarkAllowedFastPath measures DESIGN.md's "allowed fast path": from
// the start of the gate (inputs parsed) to the command's first instruction,
// with the App on loopback answering allowed at once. Each iteration fetches
// a fresh OIDC token and opens fresh connections, as a new step would.
// Reports the median and p99 in ms (target: median ≤ 30 ms).
//
//	go test -run '^$' -bench AllowedFastPath -benchtime 200x ./gate/action
func BenchmarkAllowedFastPath(b *testing.B) {
	h := newHarness(b)
	h.app.setCreate(allowed)
	cfg := h.config("echo started")
	var lat []time.Duration
	for b.Loop() {
		out := &firstWrite{}
		opts := h.options()
		opts.Stdout = out
		opts.HTTPClient = &http.Client{Transport: &http.Transport{}}
		start := time.Now()
		if code := New(cfg, opts).Run(context.Background()); code != 0 {
			b.Fatalf("exit %d: %s", code, h.stderr.String())
		}
		lat = append(lat, out.at.Sub(start))
		opts.HTTPClient.CloseIdleConnections()
	}
	reportLatency(b, lat)
}

// BenchmarkAllowedFastPathServe is the same figure end to end: the real
// stepgate binary as a new process (as the runner starts it) against a real
// `stepgate serve` on loopback whose policy allows the command, from
// process start to the command's first output. The App re-validates the
// policy file with the GitHub stand-in on each request.
//
//	go test -run '^$' -bench AllowedFastPathServe -benchtime 100x ./gate/action
func BenchmarkAllowedFastPathServe(b *testing.B) {
	a := startApp(b)
	var lat []time.Duration
	for b.Loop() {
		h := newHarness(b)
		a.newRun(h)
		p := h.start(b, []string{"action"}, inputs(a.proxy.URL, "echo safe"))
		if code := p.wait(b, 30*time.Second); code != 0 {
			b.Fatalf("exit %d: %s", code, p.stderr.String())
		}
		lat = append(lat, p.stdout.firstWrite().Sub(p.startedAt))
	}
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "median-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}

// BenchmarkAllowedFastPathServeInProcess splits the figure above: the gate
// flow in this process (no binary start) against the real `stepgate serve`.
//
//	go test -run '^$' -bench AllowedFastPathServeInProcess -benchtime 100x ./gate/action
func BenchmarkAllowedFastPathServeInProcess(b *testing.B) {
	a := startApp(b)
	h := newHarness(b)
	cfg := Config{Command: "echo safe", Server: a.proxy.URL, Shell: "bash", Timeout: time.Minute, Environment: "production"}
	var lat []time.Duration
	for b.Loop() {
		a.newRun(h)
		out := &firstWrite{}
		opts := h.options()
		opts.Stdout = out
		opts.HTTPClient = &http.Client{Transport: &http.Transport{}}
		start := time.Now()
		if code := New(cfg, opts).Run(context.Background()); code != 0 {
			b.Fatalf("exit %d: %s", code, h.stderr.String())
		}
		lat = append(lat, out.at.Sub(start))
		opts.HTTPClient.CloseIdleConnections()
	}
	reportLatency(b, lat)
}
