package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// failingStore fails the decision's write (Vote) or the chain append
// (AppendAudit, SealDecision) while the flag is set.
type failingStore struct {
	store.Store
	failVote, failAudit atomic.Bool
}

func (f *failingStore) Vote(ctx context.Context, id string, v gate.Vote, d store.Decide, delivery string) (*gate.Request, error) {
	if f.failVote.Load() {
		return nil, store.ErrUnavailable
	}
	return f.Store.Vote(ctx, id, v, d, delivery)
}

func (f *failingStore) AppendAudit(ctx context.Context, e gate.AuditEvent) (gate.AuditEvent, error) {
	if f.failAudit.Load() {
		return e, store.ErrUnavailable
	}
	return f.Store.AppendAudit(ctx, e)
}

func (f *failingStore) SealDecision(ctx context.Context, r *gate.Request) error {
	if f.failAudit.Load() {
		return store.ErrUnavailable
	}
	return f.Store.SealDecision(ctx, r)
}

func decisionEvents(t *testing.T, st store.Store, id string) []gate.AuditEvent {
	t.Helper()
	all, err := st.ListAudit(context.Background(), repoA, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var out []gate.AuditEvent
	for _, e := range all {
		if e.RequestID == id && e.Details["decision"] != "" {
			out = append(out, e)
		}
	}
	return out
}

// No final status without its event: the store failing at the moment of
// the decision leaves neither; the chain failing right after it leaves the
// event waiting on the request, and the sweeper seals it, once.
func TestDecisionAndItsEventAreWrittenTogether(t *testing.T) {
	t.Parallel()
	var fs *failingStore
	h := newHarness(t, harnessOpts{clock: true, config: func(c *Config) {
		fs = &failingStore{Store: c.Store}
		c.Store = fs
	}})
	h.gh.setPerm(repoA, "bob", "write")
	id, cr := h.pendingRequest(h.newRun(), "./deploy.sh")
	click := clickPayload(t, repoA, repoAID, id, cr, "approve", "bob", "User")

	// 1. The decision's write fails: 503 (GitHub may redeliver), still
	// pending, no decision event.
	fs.failVote.Store(true)
	if code, body := h.webhook("check_run", click, testSecret, "d-fail-vote"); code != 503 {
		t.Fatalf("click while the store fails: %d %s, want 503", code, body)
	}
	fs.failVote.Store(false)
	if r := h.request(id); r.Status != gate.StatusPending || r.PendingAudit != nil || len(decisionEvents(t, h.st, id)) != 0 {
		t.Fatalf("after a failed decision write: %s, pending event %v, events %v", r.Status, r.PendingAudit, decisionEvents(t, h.st, id))
	}

	// 2. The decision is written, the chain append after it fails: the
	// event is stored with the decision.
	fs.failAudit.Store(true)
	if code, body := h.webhook("check_run", click, testSecret, "d-approve"); code != 200 {
		t.Fatalf("click: %d %s", code, body)
	}
	r := h.request(id)
	if r.Status != gate.StatusApproved || r.PendingAudit == nil || r.PendingAudit.Type != gate.EventApproval || r.PendingAudit.Details["decision"] != "approved" {
		t.Fatalf("approved without its event: status %s, pending event %+v", r.Status, r.PendingAudit)
	}
	if evs := decisionEvents(t, h.st, id); len(evs) != 0 {
		t.Fatalf("event sealed although the chain failed: %v", evs)
	}

	// 3. The store recovers; the sweeper seals the waiting event once.
	fs.failAudit.Store(false)
	h.advance(time.Minute)
	h.srv.SweepOnce(context.Background())
	h.advance(2 * time.Minute)
	h.srv.SweepOnce(context.Background())
	if r := h.request(id); r.PendingAudit != nil {
		t.Fatalf("event still waiting after the sweep: %+v", r.PendingAudit)
	}
	evs := decisionEvents(t, h.st, id)
	if len(evs) != 1 || evs[0].Actor != "bob" || evs[0].Details["decision"] != "approved" {
		t.Fatalf("decision events in the chain = %+v, want bob's approval once", evs)
	}
	if bad, err := store.VerifyAudit(context.Background(), h.st, repoA); err != nil || len(bad) > 0 {
		t.Fatalf("chain does not verify: %v %v", bad, err)
	}
}
