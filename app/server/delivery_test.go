package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// A click's delivery id rides in the vote write (no MarkDelivery record on
// the decision path); whatever path the click takes, its redelivery is
// answered "duplicate" and adds no vote and no audit event.
func TestClickRedeliveryProcessedOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		login   string
		unknown bool // a click on a check run whose request does not exist
		want    string
	}{
		{"deciding approval", "alice", false, "approved"},
		{"ineligible voter", "mallory", false, "ineligible"},
		{"unknown request", "alice", true, "unknown_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			h.gh.setPerm(repoA, "alice", "write")
			id, cr := h.pendingRequest(h.newRun(), "./deploy.sh")
			target := id
			if tt.unknown {
				target = gate.RequestID("no-such-request")
			}
			click := clickPayload(t, repoA, repoAID, target, cr, "approve", tt.login, "User")
			auditLen := func() int {
				evs, err := h.st.ListAudit(context.Background(), repoA, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				return len(evs)
			}
			if code, body := h.webhook("check_run", click, testSecret, "click-1"); code != 200 || !strings.Contains(body, tt.want) {
				t.Fatalf("first delivery: %d %s, want 200 %s", code, body, tt.want)
			}
			votes, events := len(h.request(id).Votes), auditLen()
			if code, body := h.webhook("check_run", click, testSecret, "click-1"); code != 200 || !strings.Contains(body, "duplicate") {
				t.Errorf("redelivery: %d %s, want 200 duplicate", code, body)
			}
			if got := len(h.request(id).Votes); got != votes {
				t.Errorf("votes after redelivery = %d, want %d", got, votes)
			}
			if got := auditLen(); got != events {
				t.Errorf("audit events after redelivery = %d, want %d", got, events)
			}
		})
	}
}
