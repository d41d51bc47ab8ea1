package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stepgate/stepgate/app/longpoll"
)

// metrics are the series of the App's edges: gate API answers and webhook
// deliveries. The lifecycle registers its own (requests, decisions, store
// and GitHub failures) on the same registry.
type metrics struct {
	api      *prometheus.CounterVec // gate API answers by route and code
	webhooks *prometheus.CounterVec // by event and outcome
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		api: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stepgate_gate_api_requests_total", Help: "Gate API calls by route and HTTP status code.",
		}, []string{"route", "code"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stepgate_webhooks_total", Help: "Webhook deliveries by event and outcome.",
		}, []string{"event", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.api, m.webhooks} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// registerWaiting exposes the number of gates long-polling this replica.
func (m *metrics) registerWaiting(reg prometheus.Registerer, p *longpoll.Poller) {
	_ = reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "stepgate_waiting_gates", Help: "Gates long-polling this replica right now.",
	}, func() float64 { return float64(p.Waiting()) }))
}

func (s *Server) metricsHandler() http.Handler {
	if s.cfg.Gatherer == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusNotFound, "metrics are served elsewhere")
		})
	}
	return promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{})
}
