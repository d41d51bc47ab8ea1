package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
)

const basicPolicy = `version: 1
defaults: { timeout: 30m, self_approval: false }
rules:
  - name: read-only
    if: { command: ["kubectl get *"] }
    then: allow
  - name: never
    if: { command: ["rm -rf /*"] }
    then: deny
  - name: prod
    if: { environment: [production] }
    require: { role: write }
    remember: 24h
`

func TestCreateDecisions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, PolicyPath, basicPolicy)
	tests := []struct {
		command    string
		wantCode   int
		wantStatus gate.Status
		wantRule   string
	}{
		{"kubectl get pods", 201, gate.StatusAllowed, "read-only"},
		{"rm -rf /var", 201, gate.StatusRejected, "never"},
		{"./migrate.sh --env prod", 201, gate.StatusPending, "prod"},
	}
	for _, tt := range tests {
		code, v := h.create(h.newRun(), cmdBody(tt.command))
		if code != tt.wantCode || v.Status != tt.wantStatus || v.Rule != tt.wantRule {
			t.Errorf("create %q = %d %s %s, want %d %s %s", tt.command, code, v.Status, v.Rule, tt.wantCode, tt.wantStatus, tt.wantRule)
		}
	}
}

func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	tok := h.newRun()
	code1, v1 := h.create(tok, cmdBody("./deploy.sh"))
	code2, v2 := h.create(tok, cmdBody("./deploy.sh"))
	if code1 != 201 || code2 != 200 || v1.ID != v2.ID {
		t.Fatalf("create twice = %d %s, %d %s; want 201 then 200 with one id", code1, v1.ID, code2, v2.ID)
	}
	if got := h.gh.callsOf("create_check_run"); got != 1 {
		t.Errorf("check runs created = %d, want 1", got)
	}
}

func TestApproveByButtonWakesLongPoll(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	tok := h.newRun()
	_, v := h.create(tok, cmdBody("./deploy.sh"))
	if v.Status != gate.StatusPending {
		t.Fatalf("status = %s, want pending", v.Status)
	}
	r := h.request(v.ID)
	type result struct {
		v gate.RequestView
		d time.Duration
	}
	done := make(chan result, 1)
	var clicked time.Time
	go func() {
		_, got := h.get(tok, v.ID, "5s")
		done <- result{got, time.Since(clicked)}
	}()
	time.Sleep(100 * time.Millisecond)
	clicked = time.Now()
	code, body := h.webhook("check_run", clickPayload(t, repoA, repoAID, v.ID, r.CheckRunID, "approve", "alice", "User"), testSecret, "")
	if code != 200 {
		t.Fatalf("webhook = %d %s", code, body)
	}
	res := <-done
	if res.v.Status != gate.StatusApproved || strings.Join(res.v.ApprovedBy, ",") != "alice" {
		t.Fatalf("long-poll got %s by %v, want approved by alice", res.v.Status, res.v.ApprovedBy)
	}
	// The fallback re-read comes only every RecheckInterval (10s): a quick
	// return proves the waiter was woken by the decision itself.
	if res.d > 2*time.Second {
		t.Errorf("long-poll returned %v after the click, want it woken at once", res.d)
	}
	if cr := h.gh.checkRun(r.CheckRunID); cr.Conclusion != "success" {
		t.Errorf("check run conclusion = %q, want success", cr.Conclusion)
	}
	events, _ := h.st.ListAudit(context.Background(), repoA, time.Time{})
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	if got, want := strings.Join(types, ","), "requested,approval,approved"; got != want {
		t.Errorf("audit = %s, want %s", got, want)
	}
}
