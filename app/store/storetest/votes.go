package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

func vote(login string, approve bool, at time.Time) gate.Vote {
	return gate.Vote{Login: login, Approve: approve, Channel: "check_run", Satisfied: []string{"team:acme/dba"}, At: at}
}

var pending = store.Decide{Status: gate.StatusPending}

func testVoteRules(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := create(t, s, NewRequest("v1", "acme/api", 1, "abc", base, time.Hour))
	got, err := s.Vote(ctx, r.ID, vote("alice", true, base.Add(time.Minute)), pending, "")
	if err != nil {
		t.Fatalf("first vote: %v", err)
	}
	if got.Status != gate.StatusPending || len(got.Votes) != 1 || got.Votes[0].Login != "alice" {
		t.Fatalf("after a recording vote: status %s votes %+v", got.Status, got.Votes)
	}
	_, err = s.Vote(ctx, r.ID, vote("ALICE", true, base.Add(2*time.Minute)), pending, "")
	wantErr(t, "second vote of the same login (other case)", err, store.ErrConflict)

	d := store.Decide{Status: gate.StatusApproved, DecidedBy: []string{"alice", "bob"}, Reason: "2 approvals", Remember: true}
	at := base.Add(3 * time.Minute)
	got, err = s.Vote(ctx, r.ID, vote("bob", true, at), d, "")
	if err != nil {
		t.Fatalf("deciding vote: %v", err)
	}
	if got.Status != gate.StatusApproved || !got.DecidedAt.Equal(at) || strings.Join(got.DecidedBy, ",") != "alice,bob" ||
		got.FinalReason != "2 approvals" || !got.Remembered || len(got.Votes) != 2 || !got.Votes[1].At.Equal(at) {
		t.Fatalf("after deciding vote: %+v", got)
	}
	_, err = s.Vote(ctx, r.ID, vote("carol", false, base.Add(4*time.Minute)), store.Decide{Status: gate.StatusRejected}, "")
	wantErr(t, "vote on a decided request", err, store.ErrConflict)
	read, err := s.GetRequest(ctx, r.ID)
	if err != nil || read.Status != gate.StatusApproved || len(read.Votes) != 2 {
		t.Fatalf("GetRequest after conflicting vote = %+v, %v", read, err)
	}
	_, err = s.Vote(ctx, gate.RequestID("missing"), vote("alice", true, base), pending, "")
	wantErr(t, "vote on unknown request", err, store.ErrNotFound)
}

// testVoteDelivery: a vote's webhook delivery id is recorded with it, and
// the same delivery cannot vote again on that request, even for another
// login or once the first vote decided nothing.
func testVoteDelivery(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := create(t, s, NewRequest("vd", "acme/api", 1, "abc", base, time.Hour))
	other := create(t, s, NewRequest("vd2", "acme/api", 1, "abc", base, time.Hour))
	seen := func(id, d string, want bool) {
		t.Helper()
		got, err := s.VoteDelivered(ctx, id, d)
		if err != nil || got != want {
			t.Fatalf("VoteDelivered(%s, %q) = %v, %v; want %v", id, d, got, err, want)
		}
	}
	seen(r.ID, "d-1", false)
	seen(gate.RequestID("missing"), "d-1", false)
	if _, err := s.Vote(ctx, r.ID, vote("alice", true, base.Add(time.Minute)), pending, "d-1"); err != nil {
		t.Fatalf("vote with delivery: %v", err)
	}
	seen(r.ID, "d-1", true)
	seen(r.ID, "", false)
	seen(other.ID, "d-1", false)
	_, err := s.Vote(ctx, r.ID, vote("bob", true, base.Add(2*time.Minute)), pending, "d-1")
	wantErr(t, "same delivery, other login", err, store.ErrConflict)
	got, err := s.Vote(ctx, r.ID, vote("bob", true, base.Add(3*time.Minute)), store.Decide{Status: gate.StatusApproved, DecidedBy: []string{"alice", "bob"}}, "d-2")
	if err != nil || got.Status != gate.StatusApproved || len(got.Votes) != 2 {
		t.Fatalf("deciding vote with a new delivery = %+v, %v", got, err)
	}
	seen(r.ID, "d-2", true)
	if _, err := s.Vote(ctx, other.ID, vote("alice", true, base.Add(time.Minute)), pending, "d-1"); err != nil {
		t.Fatalf("a delivery id is per request: %v", err)
	}
}

func testVoteExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := create(t, s, NewRequest("ve", "acme/api", 1, "abc", base, time.Minute))
	for _, at := range []time.Time{r.ExpiresAt, r.ExpiresAt.Add(time.Millisecond), r.ExpiresAt.Add(time.Hour)} {
		_, err := s.Vote(ctx, r.ID, vote("late", true, at), store.Decide{Status: gate.StatusApproved}, "")
		wantErr(t, fmt.Sprintf("vote at expires_at+%v", at.Sub(r.ExpiresAt)), err, store.ErrConflict)
	}
	got, err := s.Vote(ctx, r.ID, vote("early", true, r.ExpiresAt.Add(-time.Millisecond)), store.Decide{Status: gate.StatusApproved}, "")
	if err != nil || got.Status != gate.StatusApproved {
		t.Fatalf("vote just before expiry = %v, %v; want approved", got, err)
	}
}

func testFinalizeRules(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(key string) *gate.Request {
		return create(t, s, NewRequest(key, "acme/api", 1, "abc", base, 10*time.Minute))
	}
	tests := []struct {
		name   string
		status gate.Status
		at     time.Duration // after creation; expiry is at 10m
		want   error
	}{
		{"expire before expiry", gate.StatusExpired, 9 * time.Minute, store.ErrConflict},
		{"expire at expiry", gate.StatusExpired, 10 * time.Minute, nil},
		{"approve after expiry", gate.StatusApproved, 10 * time.Minute, store.ErrConflict},
		{"allow after expiry", gate.StatusAllowed, 11 * time.Minute, store.ErrConflict},
		{"approve before expiry", gate.StatusApproved, time.Minute, nil},
		{"cancel after expiry", gate.StatusCancelled, time.Hour, nil},
		{"reject before expiry", gate.StatusRejected, time.Minute, nil},
	}
	for i, tc := range tests {
		r := mk(fmt.Sprintf("f%d", i))
		d := store.Decide{Status: tc.status, DecidedBy: []string{"alice"}, Reason: tc.name}
		got, err := s.Finalize(ctx, r.ID, d, base.Add(tc.at))
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Fatalf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if err != nil {
			continue
		}
		if got.Status != tc.status || !got.DecidedAt.Equal(base.Add(tc.at)) || got.FinalReason != tc.name {
			t.Fatalf("%s: got %+v", tc.name, got)
		}
		_, err = s.Finalize(ctx, r.ID, store.Decide{Status: gate.StatusCancelled}, base.Add(tc.at))
		wantErr(t, tc.name+" then finalize again", err, store.ErrConflict)
	}
	if _, err := s.Finalize(ctx, mk("fp").ID, store.Decide{Status: gate.StatusPending}, base); err == nil {
		t.Fatal("Finalize to pending succeeded")
	}
	_, err := s.Finalize(ctx, gate.RequestID("missing"), store.Decide{Status: gate.StatusCancelled}, base)
	wantErr(t, "finalize unknown", err, store.ErrNotFound)
}

func testVotesConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := create(t, s, NewRequest("vc", "acme/api", 1, "abc", base, time.Hour))
	// Phase 1: 25 logins each vote twice at once; only the vote is recorded.
	ok, conflicts := race(t, 50, func(i int) error {
		_, err := s.Vote(ctx, r.ID, vote(fmt.Sprintf("user%d", i%25), true, base.Add(time.Second)), pending, "")
		return err
	})
	if ok != 25 || conflicts != 25 {
		t.Fatalf("25 logins voting twice: %d recorded, %d conflicts; want 25 and 25", ok, conflicts)
	}
	// Phase 2: 50 new logins approve or reject; the test's rule is that
	// any vote decides (approve → approved, reject → rejected).
	var mu sync.Mutex
	var winner *gate.Request
	ok, conflicts = race(t, 50, func(i int) error {
		approve := i%2 == 0
		d := store.Decide{Status: gate.StatusRejected, DecidedBy: []string{fmt.Sprintf("racer%d", i)}}
		if approve {
			d.Status = gate.StatusApproved
		}
		got, err := s.Vote(ctx, r.ID, vote(fmt.Sprintf("racer%d", i), approve, base.Add(2*time.Second)), d, "")
		if err == nil {
			mu.Lock()
			winner = got
			mu.Unlock()
		}
		return err
	})
	if ok != 1 || conflicts != 49 {
		t.Fatalf("50 deciding votes: %d succeeded, %d conflicts; want exactly 1 and 49", ok, conflicts)
	}
	final, err := s.GetRequest(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := final.Votes[len(final.Votes)-1]
	wantStatus := gate.StatusRejected
	if last.Approve {
		wantStatus = gate.StatusApproved
	}
	if final.Status != wantStatus || final.Status != winner.Status || len(final.Votes) != 26 || final.DecidedBy[0] != last.Login {
		t.Fatalf("final: status %s (winner %s), %d votes, decided by %v, last vote %+v", final.Status, winner.Status, len(final.Votes), final.DecidedBy, last)
	}
	seen := map[string]bool{}
	for _, v := range final.Votes {
		if seen[strings.ToLower(v.Login)] {
			t.Fatalf("login %s counted twice", v.Login)
		}
		seen[strings.ToLower(v.Login)] = true
	}
}

// race runs fn n times at once and counts successes and ErrConflicts; any
// other error fails the test.
func race(t *testing.T, n int, fn func(i int) error) (ok, conflicts int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Errorf("call %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return ok, conflicts
}

func testSetResult(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := create(t, s, NewRequest("sr", "acme/api", 1, "abc", base, time.Hour))
	_, err := s.SetResult(ctx, r.ID, 0, time.Second)
	wantErr(t, "SetResult on pending", err, store.ErrConflict)
	if _, err := s.Finalize(ctx, r.ID, store.Decide{Status: gate.StatusApproved}, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.SetResult(ctx, r.ID, 3, 1500*time.Millisecond)
	if err != nil || got.ExitCode == nil || *got.ExitCode != 3 || got.DurationMS != 1500 {
		t.Fatalf("SetResult = %+v, %v; want exit 3 in 1500ms", got, err)
	}
	_, err = s.SetResult(ctx, r.ID, 0, time.Second)
	wantErr(t, "second SetResult", err, store.ErrConflict)
	read, err := s.GetRequest(ctx, r.ID)
	if err != nil || read.ExitCode == nil || *read.ExitCode != 3 {
		t.Fatalf("GetRequest after SetResult = %+v, %v", read, err)
	}
	rej := create(t, s, NewRequest("sr2", "acme/api", 1, "abc", base, time.Hour))
	if _, err := s.Finalize(ctx, rej.ID, store.Decide{Status: gate.StatusRejected}, base); err != nil {
		t.Fatal(err)
	}
	_, err = s.SetResult(ctx, rej.ID, 0, time.Second)
	wantErr(t, "SetResult on rejected", err, store.ErrConflict)
	_, err = s.SetResult(ctx, gate.RequestID("missing"), 0, time.Second)
	wantErr(t, "SetResult on unknown", err, store.ErrNotFound)
}
