package ghclient

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stepgate/stepgate/internal/retry"
)

type metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stepgate_github_calls_total",
			Help: "HTTP exchanges with the GitHub API (each retry counts), by templated route and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stepgate_github_call_duration_seconds",
			Help:    "Latency of HTTP exchanges with the GitHub API, by templated route.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.calls, err = register(reg, m.calls); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// its name (several clients in one process share the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("ghclient: registering metrics: %w", err)
	}
	return c, nil
}

// retryTransport retries what GitHub asks to be retried and counts every
// exchange. It sits under ghinstallation, so token creation is retried and
// counted too.
type retryTransport struct {
	next       http.RoundTripper
	m          *metrics
	maxRetries int
	maxWait    time.Duration
	baseDelay  time.Duration
	log        *slog.Logger
	sleep      func(req *http.Request, d time.Duration) error
}

func newRetryTransport(next http.RoundTripper, m *metrics, maxRetries int, maxWait time.Duration, log *slog.Logger) *retryTransport {
	switch {
	case maxRetries == 0:
		maxRetries = 4
	case maxRetries < 0:
		maxRetries = 0
	}
	if maxWait <= 0 {
		maxWait = 20 * time.Second
	}
	return &retryTransport{next: next, m: m, maxRetries: maxRetries, maxWait: maxWait,
		baseDelay: 250 * time.Millisecond, log: log, sleep: sleepCtx}
}

func sleepCtx(req *http.Request, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-req.Context().Done():
		return req.Context().Err()
	}
}

// RoundTrip sends req, retrying 5xx, primary rate limits (403/429 with
// x-ratelimit-remaining 0, until x-ratelimit-reset), secondary rate limits
// and 429s (retry-after), with exponential backoff and full jitter. Other
// 4xx are final. Retries stop after maxRetries or once the waits would
// exceed maxWait; the last response is then returned for go-github to turn
// into its error type.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	route := routeOf(req.URL.Path)
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 || body != nil {
			// A RoundTripper must not modify its request; each attempt gets
			// its own copy with a fresh body.
			r = req.Clone(req.Context())
			if body != nil {
				r.Body = io.NopCloser(bytes.NewReader(body))
				r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
				r.ContentLength = int64(len(body))
			}
		}
		start := time.Now()
		resp, err := t.next.RoundTrip(r)
		t.observe(route, resp, err, time.Since(start))
		wait, retry := t.retryAfter(resp, err, attempt)
		if !retry || attempt >= t.maxRetries || waited+wait > t.maxWait || req.Context().Err() != nil {
			return resp, err
		}
		t.log.Warn("retrying GitHub call", "route", route, "status", statusLabel(resp, err), "attempt", attempt+1, "wait", wait)
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := t.sleep(req, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	return b, nil
}

func (t *retryTransport) observe(route string, resp *http.Response, err error, d time.Duration) {
	t.m.calls.WithLabelValues(route, statusLabel(resp, err)).Inc()
	t.m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func statusLabel(resp *http.Response, err error) string {
	if err != nil || resp == nil {
		return "error"
	}
	return strconv.Itoa(resp.StatusCode)
}

// backoff is internal/retry's: exponential, each wait uniform in [d/2, d]
// so that replicas hitting the same limit spread out.
func (t *retryTransport) backoff(attempt int) time.Duration {
	return retry.Exponential(t.baseDelay, t.baseDelay<<10)(attempt + 1)
}

// retryAfter decides whether resp asks for a retry and after how long.
// The response body is peeked (and restored) only for 403s, to tell a
// secondary rate limit from a permission error.
func (t *retryTransport) retryAfter(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		// Network errors are not retried: the request may have been applied
		// (POST), and a dead GitHub is reported quickly instead.
		return 0, false
	}
	h := resp.Header
	if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests {
		if h.Get("X-Ratelimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
				// Every replica sees the same reset time: spread them over a second.
				d := retry.Spread(time.Until(time.Unix(reset, 0))+500*time.Millisecond, time.Second)
				return max(d, t.backoff(attempt)), true
			}
			return t.backoff(attempt), true
		}
		if s := h.Get("Retry-After"); s != "" {
			if secs, err := strconv.Atoi(s); err == nil && secs >= 0 {
				return max(retry.Spread(time.Duration(secs)*time.Second, time.Second), t.backoff(attempt)), true
			}
		}
		if resp.StatusCode == http.StatusTooManyRequests || secondaryLimit(resp) {
			// GitHub: without retry-after, wait at least a minute; bounded by maxWait.
			return max(time.Minute, t.backoff(attempt)), true
		}
		return 0, false
	}
	if resp.StatusCode >= 500 {
		return t.backoff(attempt), true
	}
	return 0, false
}

func secondaryLimit(resp *http.Response) bool {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return err == nil && bytes.Contains(bytes.ToLower(b), []byte("secondary rate limit"))
}

// routes are the templates of the API paths the App calls; metrics use
// them so that no repository, user or id ends up in a label.
var routes = []string{
	"/app",
	"/app/installations/{installation_id}/access_tokens",
	"/repos/{owner}/{repo}/installation",
	"/orgs/{org}/installation",
	"/repos/{owner}/{repo}/contents/{path}",
	"/repos/{owner}/{repo}/collaborators/{username}/permission",
	"/orgs/{org}/teams/{team_slug}/memberships/{username}",
	"/repos/{owner}/{repo}/check-runs",
	"/repos/{owner}/{repo}/check-runs/{check_run_id}",
	"/repos/{owner}/{repo}/issues/{issue_number}/comments",
	"/repos/{owner}/{repo}/issues/comments/{comment_id}",
	"/repos/{owner}/{repo}/commits/{commit_sha}/comments",
	"/repos/{owner}/{repo}/comments/{comment_id}",
	"/repos/{owner}/{repo}/pulls/{pull_number}",
	"/repos/{owner}/{repo}/actions/runs/{run_id}",
	"/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
}

// routeOf maps a request path (with or without a GHES /api/v3 prefix) to
// its template, or "other".
func routeOf(path string) string {
	if i := strings.Index(path, "/api/v3/"); i >= 0 {
		path = path[i+len("/api/v3"):]
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range routes {
		if matchRoute(strings.Split(strings.Trim(r, "/"), "/"), segs) {
			return r
		}
	}
	return "other"
}

func matchRoute(tmpl, segs []string) bool {
	for i, t := range tmpl {
		if t == "{path}" {
			return len(segs) > i // the file path takes the remaining segments
		}
		if i >= len(segs) || (!strings.HasPrefix(t, "{") && t != segs[i]) {
			return false
		}
	}
	return len(segs) == len(tmpl)
}
