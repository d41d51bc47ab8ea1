package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

func testListPending(t *testing.T, s store.Store) {
	ctx := context.Background()
	a1 := create(t, s, NewRequest("p1", "acme/api", 1, "sha-x", base, time.Hour))
	a2 := create(t, s, NewRequest("p2", "acme/api", 1, "sha-x", base.Add(time.Second), time.Hour))
	a3 := create(t, s, NewRequest("p3", "acme/api", 2, "sha-y", base.Add(2*time.Second), time.Hour))
	decided := create(t, s, NewRequest("p4", "acme/api", 1, "sha-x", base.Add(3*time.Second), time.Hour))
	noPR := create(t, s, NewRequest("p5", "acme/api", 0, "sha-x", base.Add(4*time.Second), time.Hour))
	create(t, s, NewRequest("p6", "acme/web", 1, "sha-x", base, time.Hour)) // other repo
	if _, err := s.Finalize(ctx, decided.ID, store.Decide{Status: gate.StatusApproved}, base.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		list func() ([]*gate.Request, error)
		want []*gate.Request
	}{
		{"by PR 1", func() ([]*gate.Request, error) { return s.ListPending(ctx, "acme/api", 1, "") }, []*gate.Request{a1, a2}},
		{"by PR 2", func() ([]*gate.Request, error) { return s.ListPending(ctx, "acme/api", 2, "") }, []*gate.Request{a3}},
		{"by SHA", func() ([]*gate.Request, error) { return s.ListPending(ctx, "acme/api", 0, "sha-x") }, []*gate.Request{a1, a2, noPR}},
		{"by unknown SHA", func() ([]*gate.Request, error) { return s.ListPending(ctx, "acme/api", 0, "sha-z") }, nil},
		{"by repo", func() ([]*gate.Request, error) { return s.ListPendingRepo(ctx, "acme/api") }, []*gate.Request{a1, a2, a3, noPR}},
		{"by other repo prefix", func() ([]*gate.Request, error) { return s.ListPendingRepo(ctx, "acme/ap") }, nil},
	}
	for _, tc := range tests {
		got, err := tc.list()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sameIDs(t, tc.name, got, tc.want...)
	}
}

func testListExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	r1 := create(t, s, NewRequest("e1", "acme/api", 1, "a", base, time.Minute))
	r2 := create(t, s, NewRequest("e2", "acme/web", 0, "b", base, 2*time.Minute))
	r3 := create(t, s, NewRequest("e3", "acme/api", 1, "a", base, 3*time.Minute))
	create(t, s, NewRequest("e4", "acme/api", 1, "a", base, time.Hour))
	if _, err := s.Finalize(ctx, r3.ID, store.Decide{Status: gate.StatusCancelled}, base); err != nil {
		t.Fatal(err)
	}
	now := base.Add(5 * time.Minute)
	got, err := s.ListExpired(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "ListExpired", got, r1, r2)
	got, err = s.ListExpired(ctx, now, 1)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "ListExpired limit 1", got, r1)
	got, err = s.ListExpired(ctx, base.Add(30*time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "ListExpired before any expiry", got)
	if _, err := s.Finalize(ctx, r1.ID, store.Decide{Status: gate.StatusExpired}, now); err != nil {
		t.Fatal(err)
	}
	got, err = s.ListExpired(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "ListExpired after sweeping one", got, r2)
}

func testListDecided(t *testing.T, s store.Store) {
	ctx := context.Background()
	var rs []*gate.Request
	for i, key := range []string{"d1", "d2", "d3"} {
		r := create(t, s, NewRequest(key, "acme/api", 1, "a", base, time.Hour))
		// Decide in reverse creation order: the list follows DecidedAt.
		at := base.Add(time.Duration(3-i) * time.Minute)
		if _, err := s.Finalize(ctx, r.ID, store.Decide{Status: gate.StatusRejected}, at); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	create(t, s, NewRequest("d4", "acme/api", 1, "a", base, time.Hour)) // still pending
	tests := []struct {
		since time.Time
		limit int
		want  []*gate.Request
	}{
		{base, 10, []*gate.Request{rs[2], rs[1], rs[0]}},
		{base.Add(time.Minute), 10, []*gate.Request{rs[1], rs[0]}},
		{base.Add(90 * time.Second), 10, []*gate.Request{rs[1], rs[0]}},
		{base, 2, []*gate.Request{rs[2], rs[1]}},
		{base.Add(3 * time.Minute), 10, nil},
	}
	for _, tc := range tests {
		got, err := s.ListDecided(ctx, tc.since, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		sameIDs(t, "ListDecided since "+tc.since.Sub(base).String(), got, tc.want...)
		for _, r := range got {
			if r.Status != gate.StatusRejected {
				t.Fatalf("ListDecided returned a %s request", r.Status)
			}
		}
	}
}
