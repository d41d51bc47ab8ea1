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
	s.resealPending(ctx)
	return n
}

// Decisions whose audit event could not be sealed right after the
// decision (store down, a crash) are sealed by the sweeper: at most once a
// minute it lists the requests decided in the last resealWindow (the first
// time since start-up: the last day) and seals the events still waiting on
// them, once they are older than resealAfter (the deciding replica had its
// chance).
const (
	resealEvery  = time.Minute
	resealWindow = 10 * time.Minute
	resealAfter  = 10 * time.Second
)

func (s *Server) resealPending(ctx context.Context) {
	now := s.now()
	s.resealMu.Lock()
	last := s.lastReseal
	if !last.IsZero() && now.Sub(last) < resealEvery {
		s.resealMu.Unlock()
		return
	}
	s.lastReseal = now
	s.resealMu.Unlock()
	since := now.Add(-resealWindow)
	if last.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	decided, err := s.store.ListDecided(ctx, since, 1000)
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("list_decided").Inc()
		return
	}
	for _, r := range decided {
		if r.PendingAudit == nil || now.Sub(r.DecidedAt) < resealAfter || ctx.Err() != nil {
			continue
		}
		cur, err := s.store.GetRequest(ctx, r.ID) // the index may lag: seal what the request holds now
		if err != nil || cur.PendingAudit == nil {
			continue
		}
		s.seal(ctx, cur)
		s.logger(ctx).InfoContext(ctx, "sealed a decision's audit event late", "request_id", cur.ID, "type", cur.PendingAudit.Type)
	}
}
