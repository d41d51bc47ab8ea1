package lifecycle

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// trail is the audit trail: every step of a request is an event on its
// repository's hash chain (store.AppendAudit). A step that decides nothing
// (requested, ignored votes, executed, freeze) is appended and a failure
// logged and counted; a decision's event rides in the decision's own write
// and is sealed into the chain after it (seal; see finish.go).
type trail struct {
	store   store.Store
	now     func() time.Time
	metrics *metrics
	log     *slog.Logger
}

func (tr *trail) logger(ctx context.Context) *slog.Logger { return LoggerFrom(ctx, tr.log) }

// record appends an event that records no decision (requested, ignored
// votes, executed, freeze); a failure is logged and counted.
func (tr *trail) record(ctx context.Context, r *gate.Request, typ, actor, channel string, details map[string]string) {
	tr.append(ctx, r, *tr.event(r, typ, actor, channel, details))
}

func (tr *trail) event(r *gate.Request, typ, actor, channel string, details map[string]string) *gate.AuditEvent {
	return &gate.AuditEvent{Repo: r.Repo, At: tr.now(), Type: typ, RequestID: r.ID, Actor: actor, Channel: channel, Details: originDetails(r, details)}
}

func (tr *trail) append(ctx context.Context, r *gate.Request, e gate.AuditEvent) {
	if _, err := tr.store.AppendAudit(ctx, e); err != nil {
		tr.metrics.storeErrors.WithLabelValues("append_audit").Inc()
		tr.logger(ctx).ErrorContext(ctx, "appending audit event", "request_id", r.ID, "type", e.Type, "err", err)
	}
}

// decision is the audit event of a decision made outside a vote.
func (tr *trail) decision(r *gate.Request, dec store.Decide, actor string, at time.Time) *gate.AuditEvent {
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
	e := tr.event(r, typ, actor, "", d)
	e.At = at
	return e
}

// seal moves a decision's stored event into the chain; on failure it stays
// on the request for resealPending.
func (tr *trail) seal(ctx context.Context, r *gate.Request) {
	if err := tr.store.SealDecision(ctx, r); err != nil {
		tr.metrics.storeErrors.WithLabelValues("seal_decision").Inc()
		tr.logger(ctx).ErrorContext(ctx, "sealing the decision's audit event (kept on the request; the sweeper retries)", "request_id", r.ID, "err", err)
	}
}

func (tr *trail) final(ctx context.Context, r *gate.Request, actor string) {
	if r.Status.Final() {
		e := tr.decision(r, store.Decide{Status: r.Status, DecidedBy: r.DecidedBy, Reason: r.FinalReason, Remember: r.Remembered}, actor, tr.now())
		tr.append(ctx, r, *e)
	}
}

// vote is the audit event of vote v on r; with a final d it also
// records the outcome the vote decided.
func (tr *trail) vote(r *gate.Request, v gate.Vote, dec store.Decide) *gate.AuditEvent {
	typ := gate.EventApproval
	if !v.Approve {
		typ = gate.EventRejection
	}
	d := map[string]string{"satisfied": strings.Join(v.Satisfied, "; ")}
	if dec.Status.Final() {
		// This vote decided the request: its event records the outcome.
		d["decision"] = string(dec.Status)
		d["reason"] = dec.Reason
		d["decided_by"] = strings.Join(dec.DecidedBy, ",")
		if dec.Remember {
			d["remembered"] = "true"
		}
	}
	if v.Comment != "" {
		d["comment"] = v.Comment
	}
	if v.Remember {
		d["remember"] = "true"
	}
	return tr.event(r, typ, v.Login, v.Channel, d)
}

// repo appends a repository-level event (freeze, ignored commands).
func (tr *trail) repo(ctx context.Context, repo, typ, actor, channel string, details map[string]string) {
	tr.record(ctx, &gate.Request{Repo: repo}, typ, actor, channel, details)
}
