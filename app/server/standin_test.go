package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
	"github.com/stepgate/stepgate/internal/oidcissuer"
	"github.com/stepgate/stepgate/internal/testutil"
)

// realHarness runs the App with the real GitHub client against the GitHub
// stand-in, which checks every API call against GitHub's OpenAPI
// description and delivers signed webhooks to the App.
type realHarness struct {
	t      *testing.T
	gs     *ghstandin.Server
	st     store.Store
	iss    *oidcissuer.Issuer
	url    string
	repoID int64
	runID  atomic.Int64
}

const (
	standinRepo = "acme/payments"
	testSecret  = "standin-secret"
	publicURL   = "https://stepgate.test"
	headSHA     = "0123456789abcdef0123456789abcdef01234567"
)

func newRealHarness(t *testing.T) *realHarness {
	t.Helper()
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: testSecret})
	gs.AddRepo(ghstandin.Repo{FullName: standinRepo})
	st := openBolt(t)
	iss, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	h := &realHarness{t: t, gs: gs, st: st, iss: iss}
	_, h.url = startApp(t, testConfig(gs, iss.URL()), st, nil)
	gs.SetWebhookTarget(h.url + "/webhook")
	h.runID.Store(9000)
	p, err := gs.InstallationPayload("created", standinRepo, "octo-admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p["repositories"].([]any) {
		if m := r.(map[string]any); m["full_name"] == standinRepo {
			h.repoID = toInt64(m["id"])
		}
	}
	if h.repoID == 0 {
		t.Fatal("no repository id from the stand-in")
	}
	return h
}

func (h *realHarness) run() string {
	return h.iss.Mint(oidcissuer.Claims{Repository: standinRepo, RepositoryID: fmt.Sprint(h.repoID),
		RunID: fmt.Sprint(h.runID.Add(1)), RunAttempt: "1", Actor: "dev", SHA: headSHA}, publicURL, 10*time.Minute)
}

// prRun is a token for a fresh pull_request run of PR number (ref
// refs/pull/N/merge, sha a merge commit): the App reads the PR's head and
// author from the stand-in.
func (h *realHarness) prRun(number int) string {
	return h.iss.Mint(oidcissuer.Claims{Repository: standinRepo, RepositoryID: fmt.Sprint(h.repoID),
		RunID: fmt.Sprint(h.runID.Add(1)), RunAttempt: "1", Actor: "dev", EventName: "pull_request",
		Ref: fmt.Sprintf("refs/pull/%d/merge", number), SHA: "5555555555555555555555555555555555555555"}, publicURL, 10*time.Minute)
}

func cmdBody(command string) gate.CreateRequest {
	return gate.CreateRequest{Command: command, CommandSHA256: gate.CommandHash(command, "bash", ""),
		Shell: "bash", Job: "deploy", Step: "release"}
}

func (h *realHarness) call(method, path, tok string, body any) (int, gate.RequestView) {
	h.t.Helper()
	code, v, err := h.roundTrip(method, path, tok, body)
	if err != nil {
		h.t.Fatal(err)
	}
	return code, v
}

// roundTrip is call without the test: other goroutines may call it.
func (h *realHarness) roundTrip(method, path, tok string, body any) (int, gate.RequestView, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, gate.RequestView{}, err
	}
	defer resp.Body.Close()
	var v gate.RequestView
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v, nil
}

// waited is what a long-poll in the background got, and when.
type waited struct {
	v  gate.RequestView
	at time.Time
}

// getAsync long-polls request id on a goroutine of its own; what it gets
// arrives on the channel (a failed call is reported with t.Error, never
// t.Fatal off the test's goroutine).
func (h *realHarness) getAsync(tok, id, wait string) <-chan waited {
	out := make(chan waited, 1)
	go func() {
		_, v, err := h.roundTrip("GET", "/api/v1/requests/"+id+"?wait="+wait, tok, nil)
		if err != nil {
			h.t.Errorf("long-poll of %s: %v", id, err)
		}
		out <- waited{v: v, at: time.Now()}
	}()
	return out
}

func (h *realHarness) create(tok string, b gate.CreateRequest) (int, gate.RequestView) {
	return h.call("POST", "/api/v1/requests", tok, b)
}

func (h *realHarness) get(tok, id, wait string) (int, gate.RequestView) {
	return h.call("GET", "/api/v1/requests/"+id+"?wait="+wait, tok, nil)
}

func (h *realHarness) request(id string) *gate.Request {
	h.t.Helper()
	r, err := h.st.GetRequest(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

// apiCalls counts calls other than authentication (installation lookup and
// token minting), which ghclient caches.
func apiCalls(calls []ghstandin.Call) int {
	n := 0
	for _, c := range calls {
		if c.Auth == "token" {
			n++
		}
	}
	return n
}

func TestWithStandin(t *testing.T) {
	t.Parallel()
	h := newRealHarness(t)
	const prHead = "fedcba9876543210fedcba9876543210fedcba98"
	h.gs.AddPullRequest(standinRepo, ghstandin.PullRequest{Number: 3, HeadSHA: prHead, HeadRef: "feature", Author: "dev"})
	h.gs.SetFile(standinRepo, "main", lifecycle.PolicyPath, "version: 1\nrules:\n  - name: payments\n    require: { any_of: [ { users: [carol] }, { role: maintain } ] }\n")
	// The PR's head loosens the policy; the App must not read it.
	h.gs.SetFile(standinRepo, "feature", lifecycle.PolicyPath, "version: 1\nrules:\n  - name: open\n    then: allow\n")
	h.gs.SetPermission(standinRepo, "carol", "write")
	h.gs.SetPermission(standinRepo, "rita", "read")
	tok := h.prRun(3)
	body := cmdBody("./release.sh --env prod")
	body.HeadSHA, body.PullRequest = prHead, 3
	code, v := h.create(tok, body)
	if code != 201 || v.Status != gate.StatusPending || v.Rule != "payments" {
		t.Fatalf("create = %d %s %s, want 201 pending under the default branch's rule", code, v.Status, v.Rule)
	}
	runs := h.gs.CheckRuns(standinRepo)
	if len(runs) != 1 || runs[0].HeadSHA != prHead || runs[0].ExternalID != v.ID || runs[0].Conclusion != "action_required" {
		t.Fatalf("check runs = %+v", runs)
	}
	if cs := h.gs.IssueComments(standinRepo, 3); len(cs) != 1 || !strings.Contains(cs[0].Body, "@carol") {
		t.Fatalf("PR comments = %+v, want one mentioning @carol", cs)
	}
	// A reader's click and an edited comment change nothing.
	if code, err := h.gs.ClickAction(standinRepo, runs[0].ID, "approve", "rita"); err != nil || code != 200 {
		t.Fatalf("reader click: %d %v", code, err)
	}
	h.gs.PostIssueComment(standinRepo, 3, "rita", "hello")
	cs := h.gs.IssueComments(standinRepo, 3)
	h.gs.EditIssueComment(cs[len(cs)-1].ID, "/stepgate approve")
	if r := h.request(v.ID); r.Status != gate.StatusPending || len(r.Votes) != 0 {
		t.Fatalf("after ineligible attempts: %s with %d votes", r.Status, len(r.Votes))
	}
	// While the gate waits, the App makes no GitHub call.
	done := h.getAsync(tok, v.ID, "3s")
	testutil.Eventually(t, 5*time.Second, testutil.GatesWaiting(h.url, 1), "the gate to long-poll")
	waiting := time.Now()
	time.Sleep(250 * time.Millisecond) // a window of waiting in which no call may happen
	if n := apiCalls(h.gs.CallsSince(waiting)); n != 0 {
		t.Errorf("GitHub calls while the gate waited = %d, want 0", n)
	}
	if code, err := h.gs.ClickAction(standinRepo, runs[0].ID, "approve", "carol"); err != nil || code != 200 {
		t.Fatalf("carol's click: %d %v", code, err)
	}
	got := (<-done).v
	if got.Status != gate.StatusApproved || fmt.Sprint(got.ApprovedBy) != "[carol]" {
		t.Fatalf("gate got %s by %v", got.Status, got.ApprovedBy)
	}
	final, _ := h.gs.GetCheckRun(runs[0].ID)
	if final.Conclusion != "success" || len(final.Actions) != 0 {
		t.Errorf("final check run: conclusion %q, %d actions", final.Conclusion, len(final.Actions))
	}
}

func TestWithStandinCommitCommentAndFreeze(t *testing.T) {
	t.Parallel()
	h := newRealHarness(t)
	h.gs.SetPermission(standinRepo, "walt", "write")
	h.gs.SetPermission(standinRepo, "ada", "admin")
	tok := h.run()
	_, v := h.create(tok, cmdBody("./deploy.sh"))
	if v.Status != gate.StatusPending {
		t.Fatalf("create: %s", v.Status)
	}
	if cs := h.gs.CommitComments(standinRepo, headSHA); len(cs) != 1 {
		t.Fatalf("commit comments = %d, want 1", len(cs))
	}
	if code, err := h.gs.PostCommitComment(standinRepo, headSHA, "walt", "/stepgate approve"); err != nil || code != 200 {
		t.Fatalf("commit comment: %d %v", code, err)
	}
	if r := h.request(v.ID); r.Status != gate.StatusApproved {
		t.Fatalf("after walt's comment: %s", r.Status)
	}
	_, v2 := h.create(h.run(), cmdBody("./deploy.sh again"))
	if code, err := h.gs.PostCommitComment(standinRepo, headSHA, "ada", "/stepgate freeze release freeze"); err != nil || code != 200 {
		t.Fatalf("freeze: %d %v", code, err)
	}
	if r := h.request(v2.ID); r.Status != gate.StatusRejected {
		t.Errorf("pending request after freeze: %s", r.Status)
	}
	if _, v3 := h.create(h.run(), cmdBody("./deploy.sh third")); v3.Status != gate.StatusRejected {
		t.Errorf("new request while frozen: %s", v3.Status)
	}
}

// An approved request costs at most 6 GitHub calls in all (DESIGN.md). The
// pull request is read once per PR commit (every gated step of the run's
// jobs shares it), like the installation token; the policy is read on
// every create here (its cache is off in this harness).
func TestWithStandinCallBudget(t *testing.T) {
	t.Parallel()
	h := newRealHarness(t)
	h.gs.SetPermission(standinRepo, "carol", "write")
	h.gs.AddPullRequest(standinRepo, ghstandin.PullRequest{Number: 4, HeadSHA: headSHA, HeadRef: "f", Author: "dev"})
	tok := h.prRun(4)
	approve := func(step string) []ghstandin.Call {
		t.Helper()
		start := time.Now()
		body := cmdBody("./deploy.sh")
		body.PullRequest, body.Step = 4, step
		_, v := h.create(tok, body)
		var cr int64
		for _, c := range h.gs.CheckRuns(standinRepo) {
			if c.ExternalID == v.ID {
				cr = c.ID
			}
		}
		if cr == 0 {
			t.Fatalf("no check run for %s", v.ID)
		}
		if code, err := h.gs.ClickAction(standinRepo, cr, "approve", "carol"); err != nil || code != 200 {
			t.Fatalf("click: %d %v", code, err)
		}
		if _, got := h.get(tok, v.ID, "1s"); got.Status != gate.StatusApproved {
			t.Fatalf("status %s", got.Status)
		}
		return h.gs.CallsSince(start)
	}
	first := approve("first")
	t.Logf("GitHub API calls for the first request of a PR commit: %d (plus %d for authentication)", apiCalls(first), len(first)-apiCalls(first))
	if n := countRoute(first, "/repos/{owner}/{repo}/pulls/{pull_number}"); n != 1 {
		t.Errorf("first request read the pull request %d times, want 1", n)
	}
	calls := approve("second")
	if n := apiCalls(calls); n > 6 || countRoute(calls, "/repos/{owner}/{repo}/pulls/{pull_number}") != 0 {
		var routes []string
		for _, c := range calls {
			routes = append(routes, c.Method+" "+c.Route)
		}
		t.Errorf("GitHub calls for one approved request = %d, want ≤ 6 and no second pull request read:\n%s", n, strings.Join(routes, "\n"))
	} else {
		t.Logf("GitHub API calls for one approved request: %d (plus %d for authentication)", n, len(calls)-n)
	}
}

func countRoute(calls []ghstandin.Call, route string) int {
	n := 0
	for _, c := range calls {
		if c.Route == route {
			n++
		}
	}
	return n
}
