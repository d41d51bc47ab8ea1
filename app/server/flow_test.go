package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/testutil"
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
	h.gh.setFile(repoA, lifecycle.PolicyPath, basicPolicy)
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
	// A repeat re-evaluates (no replica keeps a list of what it created;
	// store first, then announce) and the store answers the stored request.
	if got := h.gh.callsOf("file"); got != 2 {
		t.Errorf("policy reads = %d, want 2 (one per create)", got)
	}
	if got := h.request(v1.ID); got.CheckRunID == 0 || got.Status != gate.StatusPending {
		t.Errorf("stored request: check run %d, status %s; want the first create's, pending", got.CheckRunID, got.Status)
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
	done := h.getAsync(tok, v.ID, "5s")
	testutil.Eventually(t, 5*time.Second, func() bool { return h.srv.poll.Waiting() == 1 }, "the gate to wait")
	clicked := time.Now()
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
	if res.at.Sub(clicked) > 2*time.Second {
		t.Errorf("long-poll returned %v after the click, want it woken at once", res.at.Sub(clicked))
	}
	if cr := h.gh.checkRun(r.CheckRunID); cr.Conclusion != "success" {
		t.Errorf("check run conclusion = %q, want success", cr.Conclusion)
	}
	events, _ := h.st.ListAudit(context.Background(), repoA, time.Time{})
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	if got, want := strings.Join(types, ","), "requested,approval"; got != want {
		t.Errorf("audit = %s, want %s", got, want)
	}
}

func TestApproversOnlyTighten(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, basicPolicy)
	tests := []struct {
		command    string
		approvers  []string
		wantStatus gate.Status
		wantReq    string
	}{
		{"kubectl get pods", []string{"user:bob"}, gate.StatusPending, "bob"},
		{"rm -rf /var", []string{"user:bob"}, gate.StatusRejected, ""},
		{"./migrate.sh", []string{"team:acme/sre"}, gate.StatusPending, "all of: (a user with write or higher) and (team acme/sre)"},
	}
	for _, tt := range tests {
		body := cmdBody(tt.command)
		body.Approvers = tt.approvers
		_, v := h.create(h.newRun(), body)
		if v.Status != tt.wantStatus || v.Requirement != tt.wantReq {
			t.Errorf("%q with %v = %s %q, want %s %q", tt.command, tt.approvers, v.Status, v.Requirement, tt.wantStatus, tt.wantReq)
		}
	}
	body := cmdBody("./x.sh")
	body.Approvers = []string{"wizard:merlin"}
	if code, _ := h.create(h.newRun(), body); code != 400 {
		t.Errorf("unknown approver kind = %d, want 400", code)
	}
}

func TestShorterTimeoutWins(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, "version: 1\ndefaults: { timeout: 10m }\nrules: []\n")
	for _, tt := range []struct {
		seconds int64
		want    time.Duration
	}{{60, time.Minute}, {3600, 10 * time.Minute}, {0, 10 * time.Minute}} {
		body := cmdBody("./x.sh")
		body.TimeoutSeconds = tt.seconds
		_, v := h.create(h.newRun(), body)
		if got := v.ExpiresAt.Sub(v.CreatedAt); got != tt.want {
			t.Errorf("timeout %ds: expires after %v, want %v", tt.seconds, got, tt.want)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	tok := h.newRun()
	post := func(ct string, body []byte) int {
		req, _ := http.NewRequest("POST", h.http.URL+"/api/v1/requests", bytes.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var eb gate.ErrorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error == "" {
			t.Errorf("answer %d is not an ErrorBody", resp.StatusCode)
		}
		return resp.StatusCode
	}
	good, _ := json.Marshal(cmdBody("./x.sh"))
	noSHA, _ := json.Marshal(gate.CreateRequest{Command: "./x.sh", Job: "j", Step: "s"})
	tests := []struct {
		name string
		ct   string
		body []byte
		want int
	}{
		{"not JSON", "application/json", []byte("{"), 400},
		{"text body", "text/plain", good, 415},
		{"no content type", "", good, 415},
		{"too large", "application/json", append([]byte(`{"command":"`), bytes.Repeat([]byte("x"), maxAPIBody)...), 413},
		{"no hash", "application/json", noSHA, 400},
	}
	for _, tt := range tests {
		if got := post(tt.ct, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
