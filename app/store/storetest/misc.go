package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

func testRemembered(t *testing.T, s store.Store) {
	ctx := context.Background()
	e := gate.RememberedCommand{
		Repo: "acme/api", Environment: "production", NormalizedSHA256: "h1", Command: "make deploy",
		Rule: "prod", By: []string{"alice"}, Source: "remember", CreatedAt: base, ExpiresAt: base.Add(time.Hour),
	}
	if err := s.Remember(ctx, e); err != nil {
		t.Fatal(err)
	}
	for want := int64(1); want <= 2; want++ {
		got, err := s.LookupRemembered(ctx, "acme/api", "production", "h1", base.Add(time.Minute))
		if err != nil || got.Hits != want || got.Command != "make deploy" || !got.ExpiresAt.Equal(e.ExpiresAt) || got.By[0] != "alice" {
			t.Fatalf("lookup %d = %+v, %v; want hits %d", want, got, err, want)
		}
	}
	misses := []struct{ name, repo, env, hash string }{
		{"other environment", "acme/api", "staging", "h1"},
		{"other repo", "acme/web", "production", "h1"},
		{"other hash", "acme/api", "production", "h2"},
	}
	for _, m := range misses {
		_, err := s.LookupRemembered(ctx, m.repo, m.env, m.hash, base)
		wantErr(t, m.name, err, store.ErrNotFound)
	}
	_, err := s.LookupRemembered(ctx, "acme/api", "production", "h1", e.ExpiresAt)
	wantErr(t, "lookup at expiry", err, store.ErrNotFound)
	e.ExpiresAt = base.Add(48 * time.Hour)
	e.Source = "learn"
	if err := s.Remember(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.LookupRemembered(ctx, "acme/api", "production", "h1", base.Add(2*time.Hour))
	if err != nil || got.Source != "learn" || got.Hits != 1 {
		t.Fatalf("lookup after replacing = %+v, %v; want the new entry with 1 hit", got, err)
	}
}

func testCountApproval(t *testing.T, s store.Store) {
	ctx := context.Background()
	count := func(reset bool, at time.Time) int {
		t.Helper()
		n, err := s.CountApproval(ctx, "acme/api", "production", "h1", reset, time.Hour, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	steps := []struct {
		reset bool
		at    time.Duration
		want  int
	}{
		{false, 0, 1}, {false, time.Minute, 2}, {false, 2 * time.Minute, 3},
		{true, 3 * time.Minute, 0}, {false, 4 * time.Minute, 1}, {false, 5 * time.Minute, 2},
		{false, 5*time.Minute + time.Hour, 1}, // the count ran out
	}
	for i, st := range steps {
		if got := count(st.reset, base.Add(st.at)); got != st.want {
			t.Fatalf("step %d (reset %v at %v): count %d, want %d", i, st.reset, st.at, got, st.want)
		}
	}
	n, err := s.CountApproval(ctx, "acme/api", "staging", "h1", false, time.Hour, base)
	if err != nil || n != 1 {
		t.Fatalf("other environment count = %d, %v; want 1", n, err)
	}
}

func testAuditConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, each = 20, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := gate.AuditEvent{Repo: "acme/api", At: base.Add(time.Duration(w*each+i) * time.Millisecond), Type: gate.EventApproval,
					RequestID: "sg_x", Actor: fmt.Sprintf("w%d", w), Details: map[string]string{"i": fmt.Sprint(i)}}
				if _, err := s.AppendAudit(ctx, e); err != nil {
					t.Errorf("AppendAudit: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	events, err := s.ListAudit(ctx, "acme/api", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != writers*each {
		t.Fatalf("got %d events, want %d", len(events), writers*each)
	}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	if err := gate.VerifyChain(events); err != nil {
		t.Fatalf("chain after concurrent appends: %v", err)
	}
}

func testAuditListing(t *testing.T, s store.Store) {
	ctx := context.Background()
	appendEv := func(repo string, at time.Duration, typ string) gate.AuditEvent {
		t.Helper()
		e, err := s.AppendAudit(ctx, gate.AuditEvent{Repo: repo, At: base.Add(at), Type: typ, Actor: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	first := appendEv("acme/web", 0, gate.EventRequested)
	if first.Seq != 1 || first.PrevHash != "" || first.Hash == "" {
		t.Fatalf("first event sealed as %+v", first)
	}
	second := appendEv("acme/web", time.Minute, gate.EventApproved)
	if second.Seq != 2 || second.PrevHash != first.Hash {
		t.Fatalf("second event sealed as %+v", second)
	}
	appendEv("acme/api", 2*time.Minute, gate.EventRequested)
	appendEv("acme/web", 3*time.Minute, gate.EventExecuted)
	if _, err := s.AppendAudit(ctx, gate.AuditEvent{At: base, Type: gate.EventRequested}); err == nil {
		t.Fatal("AppendAudit without a repo succeeded")
	}
	tests := []struct {
		repo  string
		since time.Duration
		want  []string
	}{
		{"", 0, []string{"acme/api#1", "acme/web#1", "acme/web#2", "acme/web#3"}},
		{"acme/web", 0, []string{"acme/web#1", "acme/web#2", "acme/web#3"}},
		{"acme/web", time.Minute, []string{"acme/web#2", "acme/web#3"}},
		{"", 2 * time.Minute, []string{"acme/api#1", "acme/web#3"}},
		{"acme/none", 0, nil},
	}
	for _, tc := range tests {
		events, err := s.ListAudit(ctx, tc.repo, base.Add(tc.since))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range events {
			got = append(got, fmt.Sprintf("%s#%d", e.Repo, e.Seq))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("ListAudit(%q, +%v) = %v, want %v", tc.repo, tc.since, got, tc.want)
		}
	}
	broken, err := store.VerifyAudit(ctx, s, "")
	if err != nil || len(broken) != 0 {
		t.Fatalf("VerifyAudit on an intact trail = %v, %v", broken, err)
	}
}

func testMarkDelivery(t *testing.T, s store.Store) {
	ctx := context.Background()
	steps := []struct {
		id   string
		at   time.Duration
		want bool
	}{
		{"d-1", 0, true}, {"d-1", time.Minute, false}, {"d-2", time.Minute, true},
		{"d-1", 59 * time.Minute, false}, {"d-1", time.Hour, true}, {"d-1", time.Hour + time.Second, false},
	}
	for i, st := range steps {
		first, err := s.MarkDelivery(ctx, st.id, time.Hour, base.Add(st.at))
		if err != nil || first != st.want {
			t.Fatalf("step %d: MarkDelivery(%s, +%v) = %v, %v; want %v", i, st.id, st.at, first, err, st.want)
		}
	}
}

func testFreeze(t *testing.T, s store.Store) {
	ctx := context.Background()
	f, err := s.GetFreeze(ctx, "acme/api")
	if err != nil || f.Frozen || f.Repo != "acme/api" {
		t.Fatalf("GetFreeze before any = %+v, %v", f, err)
	}
	set := gate.Freeze{Repo: "acme/api", Frozen: true, By: "admin", Reason: "incident", At: base}
	if err := s.SetFreeze(ctx, set); err != nil {
		t.Fatal(err)
	}
	f, err = s.GetFreeze(ctx, "acme/api")
	if err != nil || !f.Frozen || f.By != "admin" || f.Reason != "incident" || !f.At.Equal(base) {
		t.Fatalf("GetFreeze after freeze = %+v, %v", f, err)
	}
	if other, _ := s.GetFreeze(ctx, "acme/web"); other.Frozen {
		t.Fatal("freezing one repo froze another")
	}
	if err := s.SetFreeze(ctx, gate.Freeze{Repo: "acme/api", By: "admin", At: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f, err = s.GetFreeze(ctx, "acme/api")
	if err != nil || f.Frozen {
		t.Fatalf("GetFreeze after unfreeze = %+v, %v", f, err)
	}
}
