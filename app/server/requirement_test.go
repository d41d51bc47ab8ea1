package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
)

const flowsPolicy = `version: 1
rules:
  - name: all-of
    if: { command: ["./all.sh*"] }
    require:
      all_of:
        - team: acme/dba
        - codeowners: db/migrations/
  - name: any-of
    if: { command: ["./any.sh*"] }
    require: { any_of: [ { role: maintain, count: 2 }, { users: [alice] } ] }
  - name: min-role
    if: { command: ["./role.sh*"] }
    require: { role: admin, count: 2 }
  - name: oncall
    if: { command: ["./oncall.sh*"] }
    require: { codeowners: services/payments/ }
`

const flowsCodeowners = `# on-call routing
*                     @acme/everyone
/db/migrations/       @dbowner
/services/payments/   @acme/payments-oncall
`

// vote is one step of a flow: who votes how, through which channel.
type vote struct {
	login   string
	approve bool
	channel string // "click", "pr", "commit"
}

func TestRequirementFlows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		command string
		votes   []vote
		want    []gate.Status // status after each vote
	}{
		{"all_of needs team and owner", "./all.sh", []vote{{"dan", true, "click"}, {"dbowner", true, "pr"}},
			[]gate.Status{gate.StatusPending, gate.StatusApproved}},
		{"all_of: owner alone is not enough", "./all.sh", []vote{{"dbowner", true, "click"}, {"walt", true, "click"}},
			[]gate.Status{gate.StatusPending, gate.StatusPending}},
		{"any_of: alice alone", "./any.sh", []vote{{"alice", true, "commit"}}, []gate.Status{gate.StatusApproved}},
		{"any_of: two maintainers", "./any.sh", []vote{{"maya", true, "click"}, {"mike", true, "pr"}},
			[]gate.Status{gate.StatusPending, gate.StatusApproved}},
		{"any_of: writer does not count", "./any.sh", []vote{{"walt", true, "click"}}, []gate.Status{gate.StatusPending}},
		{"min_role: two admins", "./role.sh", []vote{{"ada", true, "click"}, {"maya", true, "click"}, {"adam", true, "click"}},
			[]gate.Status{gate.StatusPending, gate.StatusPending, gate.StatusApproved}},
		{"codeowners team routing", "./oncall.sh", []vote{{"walt", true, "click"}, {"pat", true, "click"}},
			[]gate.Status{gate.StatusPending, gate.StatusApproved}},
		{"eligible reject rejects", "./any.sh", []vote{{"maya", true, "click"}, {"mike", false, "pr"}},
			[]gate.Status{gate.StatusPending, gate.StatusRejected}},
		{"ineligible reject is ignored", "./any.sh", []vote{{"walt", false, "click"}, {"alice", true, "click"}},
			[]gate.Status{gate.StatusPending, gate.StatusApproved}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			h.gh.setFile(repoA, lifecycle.PolicyPath, flowsPolicy)
			h.gh.setFile(repoA, ".github/CODEOWNERS", flowsCodeowners)
			for login, perm := range map[string]string{"alice": "read", "maya": "maintain", "mike": "maintain",
				"ada": "admin", "adam": "admin", "walt": "write", "dan": "write", "dbowner": "write", "pat": "write"} {
				h.gh.setPerm(repoA, login, perm)
			}
			h.gh.setTeam("acme/dba", "dan")
			h.gh.setTeam("acme/payments-oncall", "pat")
			body := cmdBody(tt.command)
			body.PullRequest = 12
			_, v := h.create(h.prToken(12), body)
			if v.Status != gate.StatusPending {
				t.Fatalf("created %s, want pending", v.Status)
			}
			r := h.request(v.ID)
			for i, vt := range tt.votes {
				h.sendVote(r, vt)
				if got := h.request(v.ID).Status; got != tt.want[i] {
					t.Fatalf("after vote %d (%s approve=%v): %s, want %s", i+1, vt.login, vt.approve, got, tt.want[i])
				}
			}
		})
	}
}

// sendVote delivers a vote through the channel named.
func (h *harness) sendVote(r *gate.Request, vt vote) {
	h.t.Helper()
	verb, ident := "approve", "approve"
	if !vt.approve {
		verb, ident = "reject", "reject"
	}
	var code int
	switch vt.channel {
	case "click":
		code, _ = h.webhook("check_run", clickPayload(h.t, repoA, repoAID, r.ID, r.CheckRunID, ident, vt.login, "User"), testSecret, "")
	case "pr":
		code, _ = h.webhook("issue_comment", prCommentPayload(h.t, "created", repoA, repoAID, r.PRNumber, vt.login, "/stepgate "+verb+" "+r.ID), testSecret, "")
	case "commit":
		code, _ = h.webhook("commit_comment", commitCommentPayload(h.t, repoA, repoAID, r.HeadSHA, vt.login, "/stepgate "+verb), testSecret, "")
	}
	if code != 200 {
		h.t.Fatalf("vote webhook = %d", code)
	}
}

func TestOnCallOwnersAreMentioned(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, flowsPolicy)
	h.gh.setFile(repoA, "CODEOWNERS", flowsCodeowners)
	body := cmdBody("./oncall.sh")
	body.PullRequest = 5
	h.create(h.prToken(5), body)
	comments := h.gh.allComments()
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "@acme/payments-oncall") {
		t.Fatalf("comment does not mention the on-call team:\n%v", comments)
	}
}

const learnPolicy = `version: 1
defaults: { learn: { after: 3, max_risk: low, ttl: 30d } }
rules:
  - name: any
    require: { role: write }
`

func TestLearn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		command string
		votes   []bool // approve or reject, one request each
		wantRun bool   // the next request passes without a check run
	}{
		{"low risk, three approvals", "ls -la /tmp", []bool{true, true, true}, true},
		{"two approvals are not enough", "ls -la /tmp", []bool{true, true}, false},
		{"a rejection resets", "ls -la /tmp", []bool{true, true, false, true, true}, false},
		{"medium risk never", "kubectl delete pod web-1", []bool{true, true, true, true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			h.gh.setFile(repoA, lifecycle.PolicyPath, learnPolicy)
			h.gh.setPerm(repoA, "alice", "write")
			for _, approve := range tt.votes {
				_, v := h.create(h.newRun(), cmdBody(tt.command))
				if v.Status != gate.StatusPending {
					t.Fatalf("request %s, want pending", v.Status)
				}
				h.sendVote(h.request(v.ID), vote{"alice", approve, "click"})
			}
			runs := h.gh.callsOf("create_check_run")
			_, v := h.create(h.newRun(), cmdBody(tt.command))
			gotRun := v.Status == gate.StatusAllowed && h.gh.callsOf("create_check_run") == runs
			if gotRun != tt.wantRun {
				t.Errorf("next request %s (%s risk), passes at once = %v, want %v", v.Status, v.Risk.Level, gotRun, tt.wantRun)
			}
		})
	}
}

func TestApproveAndRemember(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, basicPolicy)
	h.gh.setPerm(repoA, "alice", "write")
	_, v := h.create(h.newRun(), cmdBody("./migrate.sh --env prod"))
	r := h.request(v.ID)
	if cr := h.gh.checkRun(r.CheckRunID); len(cr.Actions) != 3 || cr.Actions[2].Identifier != "remember" {
		t.Fatalf("actions = %+v, want approve, reject, remember", cr.Actions)
	}
	h.webhook("check_run", clickPayload(t, repoA, repoAID, v.ID, r.CheckRunID, "remember", "alice", "User"), testSecret, "")
	if got := h.request(v.ID); got.Status != gate.StatusApproved || !got.Remembered {
		t.Fatalf("after remember click: %s remembered=%v", got.Status, got.Remembered)
	}
	calls := h.gh.callCount()
	// Same command, other whitespace: normalised to the same entry.
	_, v2 := h.create(h.newRun(), cmdBody("./migrate.sh   --env  prod"))
	if v2.Status != gate.StatusAllowed || !strings.Contains(v2.Reason, "remembered") {
		t.Fatalf("remembered command: %s %q, want allowed", v2.Status, v2.Reason)
	}
	if got := h.gh.callCount() - calls; got > 1 {
		t.Errorf("GitHub calls for a remembered command = %d, want at most the policy read", got)
	}
	other := cmdBody("./migrate.sh --env prod")
	other.Environment = "staging"
	if _, v3 := h.create(h.newRun(), other); v3.Status == gate.StatusAllowed {
		t.Errorf("remembered for production must not allow staging")
	}
}

// A waiting gate costs GitHub nothing: long-polls and the sweeper do not
// call GitHub until a decision arrives.
func TestNoGitHubCallsWhileWaiting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	tok := h.newRun()
	_, v := h.create(tok, cmdBody("./deploy.sh"))
	before := h.gh.callCount()
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if code, got := h.get(tok, v.ID, "300ms"); code != 200 || got.Status != gate.StatusPending {
			t.Fatalf("poll = %d %s", code, got.Status)
		}
	}
	h.srv.SweepOnce(t.Context())
	if got := h.gh.callCount() - before; got != 0 {
		t.Fatalf("GitHub calls while waiting = %d, want 0", got)
	}
	h.sendVote(h.request(v.ID), vote{"alice", true, "click"})
	// A repository without its own policy also reads its owner's .github
	// policy once (DESIGN: org-wide default; a missing one is remembered
	// for a while, so later requests do not pay it).
	org := h.gh.callsOf("org_file")
	if total := h.gh.callCount() - org; total > 6 || org > 1 {
		t.Errorf("GitHub calls for the whole approved request = %d (+%d for the org-wide policy), want ≤ 6 (+1)", total, org)
	}
}

func TestResultAndCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, basicPolicy)
	tok := h.newRun()
	_, allowed := h.create(tok, cmdBody("kubectl get pods"))
	res := gate.ResultReport{ExitCode: 3, DurationMS: 1200}
	if resp, b := h.do("POST", "/api/v1/requests/"+allowed.ID+"/result", tok, res); resp.StatusCode != 200 {
		t.Fatalf("result = %d %s", resp.StatusCode, b)
	}
	if resp, _ := h.do("POST", "/api/v1/requests/"+allowed.ID+"/result", tok, res); resp.StatusCode != 200 {
		t.Errorf("retried identical result = %d, want 200", resp.StatusCode)
	}
	if resp, _ := h.do("POST", "/api/v1/requests/"+allowed.ID+"/result", tok, gate.ResultReport{ExitCode: 0}); resp.StatusCode != 409 {
		t.Errorf("a different second result = %d, want 409", resp.StatusCode)
	}
	if r := h.request(allowed.ID); r.ExitCode == nil || *r.ExitCode != 3 {
		t.Errorf("exit code not recorded: %v", r.ExitCode)
	}
	_, pending := h.create(tok, cmdBody("./deploy.sh"))
	if resp, _ := h.do("POST", "/api/v1/requests/"+pending.ID+"/result", tok, res); resp.StatusCode != 409 {
		t.Errorf("result of a pending request = %d, want 409", resp.StatusCode)
	}
	resp, b := h.do("POST", "/api/v1/requests/"+pending.ID+"/cancel", tok, gate.CancelReport{Reason: "workflow cancelled"})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"cancelled"`) {
		t.Fatalf("cancel = %d %s", resp.StatusCode, b)
	}
	if cr := h.gh.checkRun(h.request(pending.ID).CheckRunID); cr.Conclusion != "cancelled" {
		t.Errorf("check run conclusion = %q, want cancelled", cr.Conclusion)
	}
}

func TestSweeperExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{clock: true})
	body := cmdBody("./deploy.sh")
	body.TimeoutSeconds = 30
	body.PullRequest = 9
	_, v := h.create(h.prToken(9), body)
	if n := h.srv.SweepOnce(t.Context()); n != 0 {
		t.Fatalf("swept %d before expiry", n)
	}
	h.advance(31 * time.Second)
	if n := h.srv.SweepOnce(t.Context()); n != 1 {
		t.Fatalf("swept %d, want 1", n)
	}
	r := h.request(v.ID)
	if r.Status != gate.StatusExpired {
		t.Fatalf("status %s, want expired", r.Status)
	}
	if c := h.gh.allComments(); len(c) != 1 || c[0].Update != 1 || !strings.Contains(c[0].Body, "Expired") {
		t.Errorf("comment not updated to expired: %+v", c)
	}
}

func TestCommentWithoutIDAndSeveralPending(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	tok := h.prToken(8)
	a := cmdBody("./one.sh")
	a.PullRequest = 8
	b := cmdBody("./two.sh")
	b.PullRequest = 8
	_, va := h.create(tok, a)
	_, vb := h.create(tok, b)
	_, resp := h.webhook("issue_comment", prCommentPayload(t, "created", repoA, repoAID, 8, "alice", "/stepgate approve"), testSecret, "")
	if !strings.Contains(resp, "no_target") {
		t.Fatalf("ambiguous approve: %s, want no_target", resp)
	}
	last := h.gh.allComments()
	if body := last[len(last)-1].Body; !strings.Contains(body, va.ID) || !strings.Contains(body, vb.ID) {
		t.Errorf("reply does not list both requests:\n%s", body)
	}
	h.webhook("issue_comment", prCommentPayload(t, "created", repoA, repoAID, 8, "alice", "/stepgate approve "+vb.ID), testSecret, "")
	if h.request(vb.ID).Status != gate.StatusApproved || h.request(va.ID).Status != gate.StatusPending {
		t.Errorf("approve by id approved the wrong request")
	}
	// Another repository's request id from this repository's PR: no effect.
	h.webhook("issue_comment", prCommentPayload(t, "created", repoB, repoBID, 8, "alice", "/stepgate approve "+va.ID), testSecret, "")
	if h.request(va.ID).Status != gate.StatusPending {
		t.Errorf("a comment in %s approved a request of %s", repoB, repoA)
	}
}
