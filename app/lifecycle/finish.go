package lifecycle

import (
	"context"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/risk"
)

// finish does everything that follows a final decision stored by this
// replica: wake the waiting gate first (latency), then audit, remember or
// learn, metrics, and update GitHub. A decision made by a vote is recorded
// in that vote's audit event (with its outcome), so no second event is
// written for it.
func (l *Lifecycle) finish(ctx context.Context, r *gate.Request, actor string, byVote bool) {
	l.notify(r.ID, r)
	l.answerDeployment(ctx, r) // job-level gates: tell GitHub (deployment_answer.go)
	l.metrics.requests.WithLabelValues(string(r.Status)).Inc()
	l.metrics.pending.Dec()
	if !r.CreatedAt.IsZero() && !r.DecidedAt.IsZero() {
		l.metrics.latency.Observe(r.DecidedAt.Sub(r.CreatedAt).Seconds())
	}
	if !byVote {
		if r.PendingAudit != nil {
			l.trail.seal(ctx, r)
		} else {
			l.trail.final(ctx, r, actor) // decided without an event in its write (older callers)
		}
	}
	switch r.Status {
	case gate.StatusApproved:
		l.rememberApproved(ctx, r)
	case gate.StatusRejected:
		l.forgetLearned(ctx, r)
	}
	l.show.refresh(ctx, r, "", true)
	l.noteAgentDecided(ctx, r) // agentsession.go
	l.logger(ctx).InfoContext(ctx, "request decided", "request_id", r.ID, "repo", r.Repo, "status", r.Status)
}

// rememberApproved stores the command on the allowlist when a reviewer
// chose "remember" under a rule that allows it, or when `learn` has seen
// enough clean approvals of a low-risk command.
func (l *Lifecycle) rememberApproved(ctx context.Context, r *gate.Request) {
	now := l.now()
	if r.Remembered && r.RememberTTL > 0 {
		l.remember(ctx, r, "remember", time.Duration(r.RememberTTL)*time.Second, now)
		return
	}
	sp := r.Spec
	if sp == nil || sp.Learn == nil || sp.Learn.After <= 0 {
		return
	}
	lvl, err := risk.ParseLevel(r.RiskLevel)
	if err != nil || lvl > sp.Learn.MaxRisk {
		return
	}
	n, err := l.store.CountApproval(ctx, r.Repo, r.RememberEnvironment(), r.NormalizedSHA256, false, learnTTL(sp), now)
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("count_approval").Inc()
		l.logger(ctx).WarnContext(ctx, "counting approval", "request_id", r.ID, "err", err)
		return
	}
	if n >= sp.Learn.After {
		l.remember(ctx, r, "learn", learnTTL(sp), now)
	}
}

func learnTTL(sp *gate.Spec) time.Duration {
	if sp.Learn.TTL > 0 {
		return sp.Learn.TTL
	}
	return 30 * 24 * time.Hour
}

func (l *Lifecycle) remember(ctx context.Context, r *gate.Request, source string, ttl time.Duration, now time.Time) {
	e := gate.RememberedCommand{
		Repo: r.Repo, Environment: r.RememberEnvironment(), NormalizedSHA256: r.NormalizedSHA256,
		Command: r.Command, Rule: r.Rule, By: r.DecidedBy, Source: source,
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}
	if err := l.store.Remember(ctx, e); err != nil {
		l.metrics.storeErrors.WithLabelValues("remember").Inc()
		l.logger(ctx).WarnContext(ctx, "remembering command", "request_id", r.ID, "err", err)
	}
}

// forgetLearned resets the `learn` count of a rejected command.
func (l *Lifecycle) forgetLearned(ctx context.Context, r *gate.Request) {
	sp := r.Spec
	if sp == nil || sp.Learn == nil {
		return
	}
	if _, err := l.store.CountApproval(ctx, r.Repo, r.RememberEnvironment(), r.NormalizedSHA256, true, learnTTL(sp), l.now()); err != nil {
		l.metrics.storeErrors.WithLabelValues("count_approval").Inc()
		l.logger(ctx).WarnContext(ctx, "resetting learn count", "request_id", r.ID, "err", err)
	}
}

// Decisions and their events (invariant: no final status without its
// audit event). A decision's event is built before the decision's
// conditional write and stored in it (store.Decide.Event →
// Request.PendingAudit), so the status and its event are written together
// or not at all; it is then sealed into the hash chain (seal). If sealing
// fails (store down, crash), the event waits on the request and the
// sweeper seals it later (resealPending).

// finalize moves r to d's final status with d's audit event in the same write.
func (l *Lifecycle) finalize(ctx context.Context, r *gate.Request, d store.Decide, actor string) (*gate.Request, error) {
	at := l.now()
	if d.Event == nil {
		d.Event = l.trail.decision(r, d, actor, at)
	}
	return l.store.Finalize(ctx, r.ID, d, at)
}
