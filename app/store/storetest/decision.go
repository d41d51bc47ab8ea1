package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// testDecisionEvent: a decision's audit event is stored with the decision
// in one conditional write, by Vote and by Finalize; a lost write stores
// neither; SealDecision moves it into the chain once and clears it.
func testDecisionEvent(t *testing.T, s store.Store) {
	ctx := context.Background()
	repo := "acme/audited"
	voted := decideByVote(t, s, repo)
	done := decideByFinalize(t, s, repo)
	sealDecisions(t, s, voted, done)
	chain, err := s.ListAudit(ctx, repo, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if bad, err := store.VerifyAudit(ctx, s, repo); err != nil || len(bad) > 0 {
		t.Fatalf("chain: %v %v", bad, err)
	}
	var types []string
	for _, e := range chain {
		types = append(types, e.Type+":"+e.RequestID)
	}
	if len(chain) != 2 || chain[0].RequestID != voted.ID || chain[1].RequestID != done.ID || chain[0].Type != gate.EventApproval || chain[1].Type != gate.EventCancelled {
		t.Fatalf("chain = %v, want the two decisions once each", types)
	}
	// A request without a pending event: nothing to seal.
	if err := s.SealDecision(ctx, &gate.Request{ID: gate.RequestID("none"), Repo: repo}); err != nil {
		t.Fatalf("SealDecision without event: %v", err)
	}
}

// decisionEvent is the audit event of a decision of type typ in repo.
func decisionEvent(repo, typ string) *gate.AuditEvent {
	return &gate.AuditEvent{Repo: repo, At: base.Add(time.Minute), Type: typ, Actor: "bob", Details: map[string]string{"decision": typ}}
}

// decideByVote approves a request by Vote with its event, checks the event
// was stored with the decision and that a losing vote stores none, and
// returns the request as read back.
func decideByVote(t *testing.T, s store.Store, repo string) *gate.Request {
	t.Helper()
	ctx := context.Background()
	voted := create(t, s, NewRequest("de-vote", repo, 1, "abc", base, time.Hour))
	v := gate.Vote{Login: "bob", Approve: true, Channel: "check_run", At: base.Add(time.Minute)}
	e1 := decisionEvent(repo, gate.EventApproval)
	e1.RequestID = voted.ID
	got, err := s.Vote(ctx, voted.ID, v, store.Decide{Status: gate.StatusApproved, DecidedBy: []string{"bob"}, Event: e1}, "")
	if err != nil || got.PendingAudit == nil || got.PendingAudit.Type != gate.EventApproval {
		t.Fatalf("deciding Vote = %+v, %v; want the event stored with the decision", got, err)
	}
	read, err := s.GetRequest(ctx, voted.ID)
	if err != nil || read.Status != gate.StatusApproved || read.PendingAudit == nil || read.PendingAudit.Details["decision"] != gate.EventApproval {
		t.Fatalf("GetRequest after the decision = %+v, %v", read, err)
	}
	// A vote that loses (already final) stores no second event.
	_, err = s.Vote(ctx, voted.ID, gate.Vote{Login: "carol", Approve: false, At: base.Add(2 * time.Minute)},
		store.Decide{Status: gate.StatusRejected, Event: decisionEvent(repo, gate.EventRejection)}, "")
	wantErr(t, "Vote on a decided request", err, store.ErrConflict)
	return read
}

// decideByFinalize cancels a request by Finalize with its event; a second
// Finalize loses and stores nothing.
func decideByFinalize(t *testing.T, s store.Store, repo string) *gate.Request {
	t.Helper()
	ctx := context.Background()
	fin := create(t, s, NewRequest("de-fin", repo, 1, "abc", base, time.Hour))
	e2 := decisionEvent(repo, gate.EventCancelled)
	e2.RequestID = fin.ID
	done, err := s.Finalize(ctx, fin.ID, store.Decide{Status: gate.StatusCancelled, Event: e2}, base.Add(time.Minute))
	if err != nil || done.PendingAudit == nil {
		t.Fatalf("Finalize = %+v, %v; want the event stored", done, err)
	}
	_, err = s.Finalize(ctx, fin.ID, store.Decide{Status: gate.StatusRejected, Event: decisionEvent(repo, gate.EventRejected)}, base.Add(time.Minute))
	wantErr(t, "second Finalize", err, store.ErrConflict)
	return done
}

// sealDecisions seals each request's pending event, twice: the second
// time appends nothing.
func sealDecisions(t *testing.T, s store.Store, rs ...*gate.Request) {
	t.Helper()
	ctx := context.Background()
	for _, r := range rs {
		if err := s.SealDecision(ctx, r); err != nil {
			t.Fatalf("SealDecision %s: %v", r.ID, err)
		}
		after, err := s.GetRequest(ctx, r.ID)
		if err != nil || after.PendingAudit != nil || !after.Status.Final() {
			t.Fatalf("after SealDecision: %+v, %v; want final with no pending event", after, err)
		}
		// Sealing the current copy again appends nothing.
		if err := s.SealDecision(ctx, after); err != nil {
			t.Fatalf("second SealDecision %s: %v", r.ID, err)
		}
	}
}
