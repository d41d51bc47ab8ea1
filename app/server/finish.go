package server

import (
	"context"
	"strings"
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
func (s *Server) finish(ctx context.Context, r *gate.Request, actor string, byVote bool) {
	s.notify(r.ID, r)
	s.answerDeployment(ctx, r) // job-level gates: tell GitHub (deployment_answer.go)
	s.metrics.requests.WithLabelValues(string(r.Status)).Inc()
	s.metrics.pending.Dec()
	if !r.CreatedAt.IsZero() && !r.DecidedAt.IsZero() {
		s.metrics.latency.Observe(r.DecidedAt.Sub(r.CreatedAt).Seconds())
	}
	if !byVote {
		if r.PendingAudit != nil {
			s.seal(ctx, r)
		} else {
			s.auditFinal(ctx, r, actor) // decided without an event in its write (older callers)
		}
	}
	switch r.Status {
	case gate.StatusApproved:
		s.rememberApproved(ctx, r)
	case gate.StatusRejected:
		s.forgetLearned(ctx, r)
	}
	s.refreshOnGitHub(ctx, r, "", true)
	s.noteAgentDecided(ctx, r) // agentsession.go
	s.logger(ctx).InfoContext(ctx, "request decided", "request_id", r.ID, "repo", r.Repo, "status", r.Status)
}

// rememberApproved stores the command on the allowlist when a reviewer
// chose "remember" under a rule that allows it, or when `learn` has seen
// enough clean approvals of a low-risk command.
func (s *Server) rememberApproved(ctx context.Context, r *gate.Request) {
	now := s.now()
	if r.Remembered && r.RememberTTL > 0 {
		s.remember(ctx, r, "remember", time.Duration(r.RememberTTL)*time.Second, now)
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
	n, err := s.store.CountApproval(ctx, r.Repo, r.RememberEnvironment(), r.NormalizedSHA256, false, learnTTL(sp), now)
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("count_approval").Inc()
		s.logger(ctx).WarnContext(ctx, "counting approval", "request_id", r.ID, "err", err)
		return
	}
	if n >= sp.Learn.After {
		s.remember(ctx, r, "learn", learnTTL(sp), now)
	}
}

func learnTTL(sp *gate.Spec) time.Duration {
	if sp.Learn.TTL > 0 {
		return sp.Learn.TTL
	}
	return 30 * 24 * time.Hour
}

func (s *Server) remember(ctx context.Context, r *gate.Request, source string, ttl time.Duration, now time.Time) {
	e := gate.RememberedCommand{
		Repo: r.Repo, Environment: r.RememberEnvironment(), NormalizedSHA256: r.NormalizedSHA256,
		Command: r.Command, Rule: r.Rule, By: r.DecidedBy, Source: source,
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}
	if err := s.store.Remember(ctx, e); err != nil {
		s.metrics.storeErrors.WithLabelValues("remember").Inc()
		s.logger(ctx).WarnContext(ctx, "remembering command", "request_id", r.ID, "err", err)
	}
}

// forgetLearned resets the `learn` count of a rejected command.
func (s *Server) forgetLearned(ctx context.Context, r *gate.Request) {
	sp := r.Spec
	if sp == nil || sp.Learn == nil {
		return
	}
	if _, err := s.store.CountApproval(ctx, r.Repo, r.RememberEnvironment(), r.NormalizedSHA256, true, learnTTL(sp), s.now()); err != nil {
		s.metrics.storeErrors.WithLabelValues("count_approval").Inc()
		s.logger(ctx).WarnContext(ctx, "resetting learn count", "request_id", r.ID, "err", err)
	}
}

// audit appends an event that records no decision (requested, ignored
// votes, executed, freeze); a failure is logged and counted.
func (s *Server) audit(ctx context.Context, r *gate.Request, typ, actor, channel string, details map[string]string) {
	s.appendAudit(ctx, r, *s.event(r, typ, actor, channel, details))
}

func (s *Server) event(r *gate.Request, typ, actor, channel string, details map[string]string) *gate.AuditEvent {
	return &gate.AuditEvent{Repo: r.Repo, At: s.now(), Type: typ, RequestID: r.ID, Actor: actor, Channel: channel, Details: originDetails(r, details)}
}

func (s *Server) appendAudit(ctx context.Context, r *gate.Request, e gate.AuditEvent) {
	if _, err := s.store.AppendAudit(ctx, e); err != nil {
		s.metrics.storeErrors.WithLabelValues("append_audit").Inc()
		s.logger(ctx).ErrorContext(ctx, "appending audit event", "request_id", r.ID, "type", e.Type, "err", err)
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
func (s *Server) finalize(ctx context.Context, r *gate.Request, d store.Decide, actor string) (*gate.Request, error) {
	at := s.now()
	if d.Event == nil {
		d.Event = s.finalEvent(r, d, actor, at)
	}
	return s.store.Finalize(ctx, r.ID, d, at)
}

// finalEvent is the audit event of a decision made outside a vote.
func (s *Server) finalEvent(r *gate.Request, dec store.Decide, actor string, at time.Time) *gate.AuditEvent {
	typ := map[gate.Status]string{
		gate.StatusAllowed: gate.EventAllowed, gate.StatusApproved: gate.EventApproved,
		gate.StatusRejected: gate.EventRejected, gate.StatusExpired: gate.EventExpired,
		gate.StatusCancelled: gate.EventCancelled,
	}[dec.Status]
	d := map[string]string{"reason": dec.Reason, "rule": r.Rule}
	if len(dec.DecidedBy) > 0 {
		d["decided_by"] = strings.Join(dec.DecidedBy, ",")
	}
	if dec.Remember {
		d["remembered"] = "true"
	}
	e := s.event(r, typ, actor, "", d)
	e.At = at
	return e
}

// seal moves a decision's stored event into the chain; on failure it stays
// on the request for resealPending.
func (s *Server) seal(ctx context.Context, r *gate.Request) {
	if err := s.store.SealDecision(ctx, r); err != nil {
		s.metrics.storeErrors.WithLabelValues("seal_decision").Inc()
		s.logger(ctx).ErrorContext(ctx, "sealing the decision's audit event (kept on the request; the sweeper retries)", "request_id", r.ID, "err", err)
	}
}

func (s *Server) auditFinal(ctx context.Context, r *gate.Request, actor string) {
	if r.Status.Final() {
		e := s.finalEvent(r, store.Decide{Status: r.Status, DecidedBy: r.DecidedBy, Reason: r.FinalReason, Remember: r.Remembered}, actor, s.now())
		s.appendAudit(ctx, r, *e)
	}
}
