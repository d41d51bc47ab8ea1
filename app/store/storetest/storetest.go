// Package storetest is the one conformance suite every store.Store
// implementation passes, so bolt and dynamo cannot drift apart.
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
	"github.com/stepgate/stepgate/gate/policy"
)

// Run runs the suite. newStore returns a fresh, empty store per call; the
// suite closes it.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateIdempotent", testCreateIdempotent},
		{"CreateConcurrent", testCreateConcurrent},
		{"UpdateRequest", testUpdateRequest},
		{"VoteRules", testVoteRules},
		{"VoteExpiryRace", testVoteExpiry},
		{"FinalizeRules", testFinalizeRules},
		{"VotesConcurrent", testVotesConcurrent},
		{"SetResult", testSetResult},
		{"ListPending", testListPending},
		{"ListExpired", testListExpired},
		{"ListDecided", testListDecided},
		{"Remembered", testRemembered},
		{"CountApproval", testCountApproval},
		{"AuditConcurrent", testAuditConcurrent},
		{"AuditListing", testAuditListing},
		{"DecisionEvent", testDecisionEvent},
		{"MarkDelivery", testMarkDelivery},
		{"VoteDelivery", testVoteDelivery},
		{"Freeze", testFreeze},
		{"AgentCommand", testAgentCommand},
		{"AgentCommandConcurrent", testAgentCommandConcurrent},
		{"AgentSession", testAgentSession},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// base is a fixed clock origin (whole milliseconds, UTC) so stored times
// round-trip exactly on every backend.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// NewRequest builds a pending request the way the App does.
func NewRequest(key, repo string, pr int, sha string, created time.Time, ttl time.Duration) *gate.Request {
	return &gate.Request{
		ID:             gate.RequestID(key),
		IdempotencyKey: key,
		Repo:           repo,
		RepoID:         42,
		RunID:          1001,
		RunAttempt:     1,
		Job:            "deploy",
		Step:           "migrate",
		Actor:          "octocat",
		HeadSHA:        sha,
		PRNumber:       pr,
		Environment:    "production",
		Command:        "./scripts/migrate.sh --env prod",
		CommandSHA256:  gate.CommandHash("./scripts/migrate.sh --env prod", "bash", ""),
		Shell:          "bash",
		RiskLevel:      "high",
		RiskScore:      70,
		RiskReasons:    []string{"database migration"},
		Rule:           "prod-db",
		Spec:           &gate.Spec{Require: &policy.Requirement{Team: "acme/dba"}},
		CreatedAt:      created,
		ExpiresAt:      created.Add(ttl),
		Status:         gate.StatusPending,
	}
}

func create(t *testing.T, s store.Store, r *gate.Request) *gate.Request {
	t.Helper()
	got, created, err := s.CreateRequest(context.Background(), r)
	if err != nil || !created {
		t.Fatalf("CreateRequest(%s) = created %v, %v; want created", r.IdempotencyKey, created, err)
	}
	return got
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func ids(rs []*gate.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func sameIDs(t *testing.T, what string, got []*gate.Request, want ...*gate.Request) {
	t.Helper()
	g, w := ids(got), ids(want)
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Fatalf("%s: got %v, want %v", what, g, w)
	}
}

func testCreateIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := NewRequest("k1", "acme/api", 7, "abc", base, 30*time.Minute)
	r.ExitCode = nil
	first := create(t, s, r)
	again := *r
	again.Command = "something else"
	got, created, err := s.CreateRequest(ctx, &again)
	if err != nil || created {
		t.Fatalf("second CreateRequest = created %v, %v; want not created", created, err)
	}
	if got.Command != first.Command || got.ID != r.ID {
		t.Fatalf("second CreateRequest returned %q, want the stored %q", got.Command, first.Command)
	}
	read, err := s.GetRequest(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if read.Command != r.Command || read.Status != gate.StatusPending || !read.ExpiresAt.Equal(r.ExpiresAt) ||
		!read.CreatedAt.Equal(r.CreatedAt) || read.PRNumber != 7 || read.RiskReasons[0] != "database migration" {
		t.Fatalf("GetRequest = %+v, want the created request", read)
	}
	_, err = s.GetRequest(ctx, gate.RequestID("nope"))
	wantErr(t, "GetRequest(unknown)", err, store.ErrNotFound)
	for _, bad := range []string{"", "../etc/passwd", "sg_" + strings.Repeat("a", 5000)} {
		_, err = s.GetRequest(ctx, bad)
		wantErr(t, "GetRequest(malformed id)", err, store.ErrNotFound)
		_, err = s.Vote(ctx, bad, vote("alice", true, base), pending, "")
		wantErr(t, "Vote(malformed id)", err, store.ErrNotFound)
	}
	bad := NewRequest("k2", "acme/api", 0, "abc", base, time.Minute)
	bad.ID = "sg_wrong"
	if _, _, err := s.CreateRequest(ctx, bad); err == nil {
		t.Fatal("CreateRequest with an id not derived from the key succeeded")
	}
	allowed := NewRequest("k3", "acme/api", 0, "abc", base, time.Minute)
	allowed.Status = gate.StatusAllowed
	if got := create(t, s, allowed); got.Status != gate.StatusAllowed || got.DecidedAt.IsZero() {
		t.Fatalf("created allowed request = %s decided %v, want allowed with DecidedAt", got.Status, got.DecidedAt)
	}
}

func testCreateConcurrent(t *testing.T, s store.Store) {
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	createdCount, errs := 0, 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := NewRequest("same-key", "acme/api", 1, "abc", base, time.Hour)
			r.Command = fmt.Sprintf("cmd %d", i)
			_, created, err := s.CreateRequest(context.Background(), r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				t.Errorf("CreateRequest: %v", err)
			}
			if created {
				createdCount++
			}
		}()
	}
	wg.Wait()
	if createdCount != 1 || errs != 0 {
		t.Fatalf("%d concurrent creates: %d created, %d errors; want exactly 1 created", n, createdCount, errs)
	}
	pending, err := s.ListPending(context.Background(), "acme/api", 1, "")
	if err != nil || len(pending) != 1 {
		t.Fatalf("ListPending after concurrent creates = %d requests, %v; want 1", len(pending), err)
	}
}

func testUpdateRequest(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := create(t, s, NewRequest("u1", "acme/api", 3, "abc", base, time.Hour))
	if err := s.UpdateRequest(ctx, &gate.Request{ID: r.ID, CheckRunID: 99, CheckRunURL: "https://example.test/cr/99", Command: "ignored"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateRequest(ctx, &gate.Request{ID: r.ID, CommentID: 5, CommentURL: "https://example.test/c/5"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRequest(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CheckRunID != 99 || got.CheckRunURL == "" || got.CommentID != 5 || got.CommentURL == "" || got.Command != r.Command {
		t.Fatalf("after UpdateRequest: %+v", got)
	}
	err = s.UpdateRequest(ctx, &gate.Request{ID: gate.RequestID("missing"), CheckRunID: 1})
	wantErr(t, "UpdateRequest(unknown)", err, store.ErrNotFound)
}
