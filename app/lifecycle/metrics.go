package lifecycle

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stepgate/stepgate/app/ghapi"
)

// metrics are the series of the request lifecycle, on the registry the
// App passes (app/server adds its API and webhook series, app/ghclient its
// call metrics, to the same one).
type metrics struct {
	requests      *prometheus.CounterVec // by final or initial status
	allowlistHits prometheus.Counter     // remembered-command hits
	latency       prometheus.Histogram   // created -> decided, for requests that waited
	storeErrors   *prometheus.CounterVec // by operation
	pending       *pendingCount          // requests this replica opened and has not seen decided
	github        *prometheus.CounterVec // GitHub calls the App made, by op and outcome
	agentCommands *prometheus.CounterVec // agent (stepgate hook) requests by agent and first status
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stepgate_requests_total", Help: "Gate requests by status: created ones by their first status, decided ones by their final status.",
		}, []string{"status"}),
		allowlistHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stepgate_allowlist_hits_total", Help: "Requests allowed at once because the command was remembered.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "stepgate_decision_latency_seconds", Help: "Time from a pending request's creation to its final decision.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400},
		}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stepgate_store_errors_total", Help: "Store operations that failed (not lost races), by operation.",
		}, []string{"op"}),
		agentCommands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stepgate_agent_commands_total", Help: "Shell commands of AI coding agents (stepgate hook) by agent and first status: allowed ones pass silently, pending ones ask reviewers.",
		}, []string{"agent", "status"}),
		pending: &pendingCount{},
		github: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stepgate_server_github_calls_total", Help: "GitHub calls made by the server, by operation and outcome.",
		}, []string{"op", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.allowlistHits, m.latency, m.storeErrors, m.github, m.agentCommands,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "stepgate_pending_requests",
			Help: "Pending requests this replica opened and has not seen decided (with several replicas, sum them; decisions made elsewhere are not subtracted here).",
		}, m.pending.value)} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// CountStoreError counts a failed store operation of the App's edges
// (webhook delivery records, the cross-replica poller) on the same series
// as the lifecycle's own.
func (l *Lifecycle) CountStoreError(op string) { l.metrics.storeErrors.WithLabelValues(op).Inc() }

// CountGitHub counts a GitHub call by operation and outcome.
func (l *Lifecycle) CountGitHub(op string, err error) { l.metrics.gitHubCall(op, err) }

func (l *Lifecycle) countGitHub(op string, err error) { l.metrics.gitHubCall(op, err) }

// gitHubCall counts one GitHub call by operation and outcome (ok,
// not_found, error).
func (m *metrics) gitHubCall(op string, err error) {
	outcome := "ok"
	switch {
	case errors.Is(err, ghapi.ErrNotFound):
		outcome = "not_found"
	case err != nil:
		outcome = "error"
	}
	m.github.WithLabelValues(op, outcome).Inc()
}

// pendingCount tracks pending requests per replica. It never goes below
// zero: a request opened on another replica may be decided here.
type pendingCount struct {
	mu sync.Mutex
	n  int64
}

// Inc counts a new pending request.
func (p *pendingCount) Inc() {
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
}

// Dec counts a decision.
func (p *pendingCount) Dec() {
	p.mu.Lock()
	p.n = max(0, p.n-1)
	p.mu.Unlock()
}

func (p *pendingCount) value() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return float64(p.n)
}
