package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/testutil"
)

// Two replicas share one store: a gate waiting on replica A learns of a
// decision made on replica B through B's store write (A polls ListDecided),
// without any GitHub call.
func TestDecisionReachesOtherReplica(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	b, err := New(Config{Store: h.st, GitHub: h.gh.newClient(t, nil), PublicURL: publicURL, OIDCIssuer: h.iss.URL(),
		WebhookSecrets: []string{testSecret}, PollInterval: 20 * time.Millisecond, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	bHTTP := httptest.NewServer(b.Handler())
	t.Cleanup(bHTTP.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = b.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	tok := h.newRun()
	id, cr := h.pendingRequest(tok, "./deploy.sh")
	done := h.getAsync(tok, id, "5s") // replica A
	testutil.Eventually(t, 5*time.Second, func() bool { return h.srv.poll.Waiting() == 1 }, "the gate to wait on replica A")
	onB := &harness{t: t, http: bHTTP}
	sent := time.Now()
	if code, body := onB.webhook("check_run", clickPayload(t, repoA, repoAID, id, cr, "approve", "alice", "User"), testSecret, ""); code != 200 {
		t.Fatalf("webhook on B = %d %s", code, body)
	}
	t.Logf("webhook on B took %v", time.Since(sent))
	woke := (<-done).at
	if r := h.request(id); r.Status != gate.StatusApproved {
		t.Fatalf("status %s", r.Status)
	}
	if d := woke.Sub(sent); d > 2*time.Second {
		t.Errorf("replica A's waiter woke %v after the webhook on B, want well under the 10s re-read", d)
	} else {
		t.Logf("cross-replica propagation: %v", d)
	}
}

// Two reviewers approve at the same moment on two replicas: whichever
// write comes last sees both votes and settles the request, every time.
func TestConcurrentVotesOnTwoReplicas(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, "version: 1\nrules:\n  - name: two\n    require: { role: write, count: 2 }\n")
	h.gh.setPerm(repoA, "bob", "write")
	h.gh.setPerm(repoA, "carol", "write")
	b, err := New(Config{Store: h.st, GitHub: h.gh.newClient(t, nil), PublicURL: publicURL, OIDCIssuer: h.iss.URL(),
		WebhookSecrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	bHTTP := httptest.NewServer(b.Handler())
	t.Cleanup(bHTTP.Close)
	onB := &harness{t: t, http: bHTTP}
	for round := range 15 {
		id, cr := h.pendingRequest(h.newRun(), "./deploy.sh")
		bob := clickPayload(t, repoA, repoAID, id, cr, "approve", "bob", "User")
		carol := clickPayload(t, repoA, repoAID, id, cr, "approve", "carol", "User")
		var wg sync.WaitGroup
		wg.Go(func() { sendOrError(t, h, "check_run", bob, fmt.Sprintf("bob-%d", round)) })
		wg.Go(func() { sendOrError(t, onB, "check_run", carol, fmt.Sprintf("carol-%d", round)) })
		wg.Wait()
		if r := h.request(id); r.Status != gate.StatusApproved || len(r.DecidedBy) != 2 {
			t.Fatalf("round %d: %s decided by %v with %d votes, want approved by both", round, r.Status, r.DecidedBy, len(r.Votes))
		}
	}
}

// sendOrError delivers a signed webhook from a goroutine of its own,
// reporting a failure to deliver with t.Error (never t.Fatal off the
// test's goroutine).
func sendOrError(t *testing.T, h *harness, event string, payload any, delivery string) {
	if _, _, err := h.send(event, payload, testSecret, delivery); err != nil {
		t.Errorf("delivering %s %s: %v", event, delivery, err)
	}
}
