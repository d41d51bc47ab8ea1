package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// Invariant 10 and 11: the App takes a request's context from the token and
// from GitHub, never from the body.

const (
	prHeadSHA  = "feedfacefeedfacefeedfacefeedfacefeedface"
	prMergeSHA = "3333333333333333333333333333333333333333"
)

// prRun is a token for a pull_request run of PR number (refs/pull/N/merge,
// sha = the merge commit), whose PR GitHub knows with author and head.
func (h *harness) prRun(number int, author string, edit func(*oidcissuer.Claims)) string {
	h.gh.setPull(repoA, ghapi.PullRequest{Number: number, HeadSHA: prHeadSHA, HeadRef: "feature", BaseRef: "main", Author: author})
	return h.token(repoA, repoAID, h.runID.Add(1), func(c *oidcissuer.Claims) {
		c.Ref, c.SHA, c.EventName = fmt.Sprintf("refs/pull/%d/merge", number), prMergeSHA, "pull_request"
		c.HeadRef, c.BaseRef, c.Environment = "feature", "main", ""
		if edit != nil {
			edit(c)
		}
	})
}

// noEnvRun is a token for a fresh run of a job that declares no environment.
func (h *harness) noEnvRun() string {
	return h.token(repoA, repoAID, h.runID.Add(1), func(c *oidcissuer.Claims) { c.Environment = "" })
}

func createRaw(h *harness, tok string, body gate.CreateRequest) (int, string) {
	h.t.Helper()
	resp, b := h.do("POST", "/api/v1/requests", tok, body)
	var e gate.ErrorBody
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error
}

const envPolicy = `version: 1
rules:
  - name: dev-anything
    if: { environment: [dev] }
    then: allow
  - name: prod-deny-drop
    if: { environment: [production], command: ["./drop.sh*"] }
    then: deny
  - name: prod
    if: { environment: [production] }
    require: { team: acme/sre }
  - name: no-env-needs-admin
    if: { command: ["./admin.sh*"] }
    require: { role: admin }
`

// An environment input on a job without an environment claim can only
// tighten: dev's allow does not apply, production's deny and requirement do.
func TestEnvironmentInputWithoutClaimOnlyTightens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, envPolicy)
	for _, tc := range []struct {
		name, env, command string
		want               gate.Status
		require            string // in the requirement text
	}{
		{"dev input cannot allow", "dev", "./deploy.sh", gate.StatusPending, "write"},
		{"production input denies", "production", "./drop.sh", gate.StatusRejected, ""},
		{"production input requires sre and the no-environment rule", "production", "./admin.sh", gate.StatusPending, "acme/sre"},
		{"no input: the no-environment rule", "", "./admin.sh", gate.StatusPending, "admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := cmdBody(tc.command)
			body.Environment = tc.env
			code, v := h.create(h.noEnvRun(), body)
			if code != 201 || v.Status != tc.want {
				t.Fatalf("create = %d %s (rule %q), want %s", code, v.Status, v.Rule, tc.want)
			}
			if tc.require != "" && !strings.Contains(v.Requirement, tc.require) {
				t.Errorf("requirement %q does not contain %q", v.Requirement, tc.require)
			}
		})
	}
	// Both rules apply together: production's team and the admin rule.
	body := cmdBody("./admin.sh")
	_, v := h.create(h.noEnvRun(), body)
	if !strings.Contains(v.Requirement, "acme/sre") || !strings.Contains(v.Requirement, "admin") {
		t.Errorf("requirement %q: want all of acme/sre and admin", v.Requirement)
	}
}

// With an environment claim the input must match it (400 naming the field);
// the claim decides.
func TestEnvironmentInputMustMatchClaim(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, envPolicy)
	tok := h.token(repoA, repoAID, h.runID.Add(1), func(c *oidcissuer.Claims) { c.Environment = "production" })
	body := cmdBody("./deploy.sh")
	body.Environment = "dev"
	if code, msg := createRaw(h, tok, body); code != 400 || !strings.Contains(msg, "environment") {
		t.Fatalf("input dev on a production job: %d %q, want 400 naming environment", code, msg)
	}
	body.Environment = "production"
	if code, v := h.create(tok, body); code != 201 || v.Status != gate.StatusPending || v.Environment != "production" {
		t.Fatalf("matching input: %d %s %q", code, v.Status, v.Environment)
	}
	dev := h.token(repoA, repoAID, h.runID.Add(1), func(c *oidcissuer.Claims) { c.Environment = "dev" })
	body.Environment = ""
	if code, v := h.create(dev, body); code != 201 || v.Status != gate.StatusAllowed {
		t.Fatalf("dev job (claim) without input: %d %s, want allowed", code, v.Status)
	}
}

// A forged pull_request or head_sha is refused; the App places the request
// from the token and GitHub's pull request.
func TestForgedPullRequestRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPull(repoA, ghapi.PullRequest{Number: 42, HeadSHA: prHeadSHA, HeadRef: "victim", BaseRef: "main", Author: "victim"})
	push, pr7 := h.noEnvRun(), h.prRun(7, "pat", nil)
	for _, tc := range []struct {
		name, tok string
		pr        int
		head      string
		field     string // the field the refusal names
	}{
		{"push run naming PR 42", push, 42, prHeadSHA, "pull_request"},
		{"push run naming another commit", push, 0, prHeadSHA, "head_sha"},
		{"PR 7 run naming PR 42", pr7, 42, "", "pull_request"},
		{"PR 7 run naming a foreign head", pr7, 7, strings.Repeat("a", 40), "head_sha"},
	} {
		body := cmdBody("./deploy.sh")
		body.PullRequest, body.HeadSHA = tc.pr, tc.head
		if code, msg := createRaw(h, tc.tok, body); code != 400 || !strings.Contains(msg, tc.field) {
			t.Errorf("%s: %d %q, want 400 naming %s", tc.name, code, msg, tc.field)
		}
	}
	if n := len(h.gh.allComments()); n != 0 {
		t.Fatalf("refused requests left %d comments", n)
	}
}

// Without body fields a PR run's request is placed from the token and
// GitHub: the PR's head commit and author, its comment on that PR only,
// saying whose run it is; matching body fields are accepted.
func TestPullRequestFromTokenAndGitHub(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPull(repoA, ghapi.PullRequest{Number: 42, HeadSHA: prHeadSHA, HeadRef: "victim", BaseRef: "main", Author: "victim"})
	tok := h.prRun(7, "pat", nil)
	body := cmdBody("./deploy.sh")
	code, v := h.create(tok, body)
	if code != 201 || v.Status != gate.StatusPending {
		t.Fatalf("PR run: %d %s", code, v.Status)
	}
	r := h.request(v.ID)
	if r.PRNumber != 7 || r.HeadSHA != prHeadSHA || r.PRAuthor != "pat" {
		t.Errorf("request placed on PR %d head %s author %q, want PR 7 head %s author pat", r.PRNumber, r.HeadSHA, r.PRAuthor, prHeadSHA)
	}
	cr := h.gh.checkRun(r.CheckRunID)
	if cr.HeadSHA != prHeadSHA {
		t.Errorf("check run on %s, want the PR head %s", cr.HeadSHA, prHeadSHA)
	}
	var comment string
	for _, c := range h.gh.allComments() {
		switch c.PR {
		case 7:
			comment = c.Body
		case 42:
			t.Errorf("a comment landed on PR 42")
		}
	}
	if comment == "" {
		t.Error("no comment on PR 7")
	}
	// The body's matching values are accepted (older gates send them).
	body.PullRequest, body.HeadSHA, body.Step = 7, prHeadSHA, "again"
	if code, _ := h.create(tok, body); code != 201 {
		t.Errorf("matching body fields: %d, want 201", code)
	}
	// The comment and check run say whose run it is.
	for _, want := range []string{"workflow `deploy` on `refs/pull/7/merge`", "started by `dev`", "pull request #7 by `pat`"} {
		if !strings.Contains(cr.Summary, want) || !strings.Contains(comment, want) {
			t.Errorf("check run or comment does not say %q:\n%s\n---\n%s", want, cr.Summary, comment)
		}
	}
}

// Matrix legs (and reusable-workflow calls) of one job and step get their
// own requests: the production leg does not receive the dev leg's decision.
func TestMatrixLegsGetSeparateRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, envPolicy)
	run := h.runID.Add(1)
	leg := func(env, checkRun string) string {
		return h.token(repoA, repoAID, run, func(c *oidcissuer.Claims) { c.Environment, c.CheckRunID = env, checkRun })
	}
	body := cmdBody("./deploy.sh")
	body.Environment = ""
	_, dev := h.create(leg("dev", "71"), body)
	_, prod := h.create(leg("production", "72"), body)
	if dev.ID == prod.ID {
		t.Fatalf("both legs got request %s", dev.ID)
	}
	if dev.Status != gate.StatusAllowed || prod.Status != gate.StatusPending {
		t.Fatalf("dev leg %s, production leg %s; want allowed and pending", dev.Status, prod.Status)
	}
	// Same environment, two legs (check runs): still two requests.
	_, a := h.create(leg("", "81"), body)
	_, b := h.create(leg("", "82"), body)
	if a.ID == b.ID {
		t.Error("two legs without environments share a request")
	}
	// A retry of one leg is the same request.
	if _, again := h.create(leg("", "81"), body); again.ID != a.ID {
		t.Errorf("retried create got %s, want %s", again.ID, a.ID)
	}
	// Without a check_run_id claim (older GitHub Enterprise Server), the
	// gate's matrix input separates legs.
	body.JobIndex, body.Matrix = "0", `{"region":"eu"}`
	_, x := h.create(leg("", ""), body)
	body.JobIndex, body.Matrix = "1", `{"region":"us"}`
	_, y := h.create(leg("", ""), body)
	if x.ID == y.ID {
		t.Error("legs with different matrix values share a request")
	}
	// The environment input is part of the key too.
	body.Environment = "production"
	_, z := h.create(leg("", ""), body)
	if z.ID == y.ID {
		t.Error("a different environment input reused a request")
	}
}

// A leg approved before a freeze does not let later legs run during it.
func TestFreezeStopsLaterLeg(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	h.gh.setPerm(repoA, "ada", "admin")
	run := h.runID.Add(1)
	leg := func(checkRun string) string {
		return h.token(repoA, repoAID, run, func(c *oidcissuer.Claims) { c.CheckRunID = checkRun })
	}
	id, cr := h.pendingRequest(leg("91"), "./deploy.sh")
	if code, _ := h.webhook("check_run", clickPayload(t, repoA, repoAID, id, cr, "approve", "alice", "User"), testSecret, ""); code != 200 {
		t.Fatalf("approve: %d", code)
	}
	if r := h.request(id); r.Status != gate.StatusApproved {
		t.Fatalf("leg 1: %s, want approved", r.Status)
	}
	if _, resp := h.webhook("commit_comment", commitCommentPayload(t, repoA, repoAID, headSHA, "ada", "/stepgate freeze incident"), testSecret, ""); !strings.Contains(resp, "frozen") {
		t.Fatalf("freeze: %s", resp)
	}
	_, v := h.create(leg("92"), cmdBody("./deploy.sh"))
	if v.ID == id || v.Status != gate.StatusRejected || !strings.Contains(v.Reason, "frozen") {
		t.Fatalf("later leg during the freeze: %s %s %q, want a new, rejected request", v.ID, v.Status, v.Reason)
	}
}

// The pull request's author cannot approve their PR's request, even when
// someone else's push made another person the run's actor.
func TestPRAuthorCannotApprove(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"button", "comment"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			h.gh.setPerm(repoA, "pat", "admin")
			h.gh.setPerm(repoA, "alice", "write")
			tok := h.prRun(7, "pat", nil) // actor: dev
			id, cr := h.pendingRequest(tok, "./deploy.sh")
			vote := func(login string) {
				if via == "button" {
					h.webhook("check_run", clickPayload(t, repoA, repoAID, id, cr, "approve", login, "User"), testSecret, "")
				} else {
					h.webhook("issue_comment", prCommentPayload(t, "created", repoA, repoAID, 7, login, "/stepgate approve "+id), testSecret, "")
				}
			}
			vote("pat")
			if r := h.request(id); r.Status != gate.StatusPending || len(r.Votes) != 0 {
				t.Fatalf("after the PR author's approval: %s with %d votes, want pending with none", r.Status, len(r.Votes))
			}
			var explained bool
			for _, c := range h.gh.allComments() {
				explained = explained || strings.Contains(c.Body, "pull request's author")
			}
			explained = explained || strings.Contains(h.gh.checkRun(cr).Summary, "pull request's author")
			if !explained {
				t.Error("the ignored approval is not explained as the PR author's")
			}
			vote("alice")
			if r := h.request(id); r.Status != gate.StatusApproved {
				t.Fatalf("after alice: %s, want approved", r.Status)
			}
		})
	}
}

// pull_request_target runs carry the base branch as their ref: the body's
// PR number is accepted only if GitHub's PR has the token's head and base.
func TestPullRequestTargetNumberIsVerified(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPull(repoA, ghapi.PullRequest{Number: 9, HeadSHA: prHeadSHA, HeadRef: "fork-feature", BaseRef: "main", Author: "contrib"})
	h.gh.setPull(repoA, ghapi.PullRequest{Number: 10, HeadSHA: strings.Repeat("c", 40), HeadRef: "other", BaseRef: "main", Author: "victim"})
	tok := h.token(repoA, repoAID, h.runID.Add(1), func(c *oidcissuer.Claims) {
		c.EventName, c.Ref, c.HeadRef, c.BaseRef, c.Environment = "pull_request_target", "refs/heads/main", "fork-feature", "main", ""
	})
	body := cmdBody("./deploy.sh")
	body.Environment, body.PullRequest = "", 10
	if code, msg := createRaw(h, tok, body); code != 400 || !strings.Contains(msg, "pull_request") {
		t.Errorf("naming another PR: %d %q, want 400 naming pull_request", code, msg)
	}
	body.PullRequest = 9
	code, v := h.create(tok, body)
	if code != 201 {
		t.Fatalf("the run's own PR: %d", code)
	}
	if r := h.request(v.ID); r.PRNumber != 9 || r.HeadSHA != prHeadSHA || r.PRAuthor != "contrib" {
		t.Errorf("placed on PR %d head %s author %q", r.PRNumber, r.HeadSHA, r.PRAuthor)
	}
}

// One leg cannot cancel or report on another leg's request of the same
// run: writes are bound to the job (its check_run_id, reusable workflow and
// environment from the token), not only to the run.
func TestLegCannotWriteAnotherLegsRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	run := h.runID.Add(1)
	leg := func(env, checkRun string) string {
		return h.token(repoA, repoAID, run, func(c *oidcissuer.Claims) { c.Environment, c.CheckRunID = env, checkRun })
	}
	prod, dev, devNoCheckRun := leg("production", "51"), leg("dev", "52"), leg("dev", "")
	id, _ := h.pendingRequest(prod, "./deploy.sh")
	for name, tok := range map[string]string{"another check run": dev, "another environment": devNoCheckRun} {
		for _, path := range []string{"/cancel", "/result"} {
			if resp, _ := h.do("POST", "/api/v1/requests/"+id+path, tok, gate.CancelReport{}); resp.StatusCode != 404 {
				t.Errorf("%s: POST %s = %d, want 404", name, path, resp.StatusCode)
			}
		}
	}
	if r := h.request(id); r.Status != gate.StatusPending {
		t.Fatalf("after the other legs' calls: %s, want pending", r.Status)
	}
	if code, _ := h.get(dev, id, ""); code != 200 {
		t.Errorf("reading within the run: %d, want 200", code) // reads stay per repository
	}
	if resp, b := h.do("POST", "/api/v1/requests/"+id+"/cancel", prod, gate.CancelReport{Reason: "gone"}); resp.StatusCode != 200 {
		t.Fatalf("the leg's own cancel: %d %s", resp.StatusCode, b)
	}
}
