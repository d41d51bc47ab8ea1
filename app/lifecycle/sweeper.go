package lifecycle

import (
	"context"
	"time"
)

// sweepBatch bounds one sweep; the next tick takes the rest.
const sweepBatch = 200

// sweep expires overdue requests every SweepInterval, so a request nobody
// polls still ends as expired, with its check run and comment updated.
func (l *Lifecycle) sweep(ctx context.Context) {
	t := time.NewTicker(l.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.SweepOnce(ctx)
	}
}

// SweepOnce expires every overdue request it finds now (tests and the
// ticker call it).
func (l *Lifecycle) SweepOnce(ctx context.Context) int {
	reqs, err := l.store.ListExpired(ctx, l.now(), sweepBatch)
	if err != nil {
		if ctx.Err() == nil {
			l.metrics.storeErrors.WithLabelValues("list_expired").Inc()
			l.logger(ctx).WarnContext(ctx, "listing expired requests", "err", err)
		}
		return 0
	}
	n := 0
	for _, r := range reqs {
		if ctx.Err() != nil {
			break
		}
		if got := l.Expire(ctx, r); got.Status.Final() {
			n++
		}
	}
	l.resealPending(ctx)
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

func (l *Lifecycle) resealPending(ctx context.Context) {
	now := l.now()
	l.resealMu.Lock()
	last := l.lastReseal
	if !last.IsZero() && now.Sub(last) < resealEvery {
		l.resealMu.Unlock()
		return
	}
	l.lastReseal = now
	l.resealMu.Unlock()
	since := now.Add(-resealWindow)
	if last.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	decided, err := l.store.ListDecided(ctx, since, 1000)
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("list_decided").Inc()
		return
	}
	for _, r := range decided {
		if r.PendingAudit == nil || now.Sub(r.DecidedAt) < resealAfter || ctx.Err() != nil {
			continue
		}
		cur, err := l.store.GetRequest(ctx, r.ID) // the index may lag: seal what the request holds now
		if err != nil || cur.PendingAudit == nil {
			continue
		}
		l.trail.seal(ctx, cur)
		l.logger(ctx).InfoContext(ctx, "sealed a decision's audit event late", "request_id", cur.ID, "type", cur.PendingAudit.Type)
	}
}
