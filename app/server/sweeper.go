package server

import (
	"context"
	"time"
)

// sweepBatch bounds one sweep; the next tick takes the rest.
const sweepBatch = 200

// sweep expires overdue requests every SweepInterval, so a request nobody
// polls still ends as expired, with its check run and comment updated.
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.SweepOnce(ctx)
	}
}

// SweepOnce expires every overdue request it finds now (tests and the
// ticker call it).
func (s *Server) SweepOnce(ctx context.Context) int {
	reqs, err := s.store.ListExpired(ctx, s.now(), sweepBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.metrics.storeErrors.WithLabelValues("list_expired").Inc()
			s.logger(ctx).WarnContext(ctx, "listing expired requests", "err", err)
		}
		return 0
	}
	n := 0
	for _, r := range reqs {
		if ctx.Err() != nil {
			break
		}
		if got := s.expire(ctx, r); got.Status.Final() {
			n++
		}
	}
	return n
}
