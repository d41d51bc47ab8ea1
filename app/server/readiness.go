package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/store"
)

// readyProbeID is a well-formed request id no request gets (ids are
// hashes of idempotency keys): reading it proves the
// store answers (ErrNotFound) without writing anything.
const readyProbeID = "sg_readyzprobe2222222222222"

// readiness caches the last /readyz result for ReadyCacheTTL.
type readiness struct {
	mu     sync.Mutex
	at     time.Time
	result readyResult
}

type readyResult struct {
	Status string `json:"status"` // ready, unready
	Store  string `json:"store"`  // ok, unreachable
	GitHub string `json:"github"` // ok, unreachable, credentials refused, not checked
}

// handleReady is GET /readyz: 200 when the store answers and GitHub accepts
// the App's credentials, else 503 saying which is down.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	res := s.ready(r.Context())
	code := http.StatusOK
	if res.Status != "ready" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, res)
}

func (s *Server) ready(ctx context.Context) readyResult {
	s.readiness.mu.Lock()
	defer s.readiness.mu.Unlock()
	if !s.readiness.at.IsZero() && time.Since(s.readiness.at) < s.cfg.ReadyCacheTTL {
		return s.readiness.result
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res := readyResult{Status: "ready", Store: "ok", GitHub: "not checked"}
	if _, err := s.store.GetRequest(ctx, readyProbeID); err != nil && !errors.Is(err, store.ErrNotFound) {
		res.Store, res.Status = "unreachable", "unready"
		s.log.WarnContext(ctx, "readiness: store", "err", err)
	}
	if ac, ok := s.gh.(ghapi.AppChecker); ok {
		res.GitHub = "ok"
		if err := ac.CheckApp(ctx); err != nil {
			res.GitHub, res.Status = "unreachable", "unready"
			if errors.Is(err, ghapi.ErrAppCredentials) {
				res.GitHub = "credentials refused"
			}
			s.log.WarnContext(ctx, "readiness: GitHub", "err", err)
		}
	}
	s.readiness.at, s.readiness.result = time.Now(), res
	return res
}
