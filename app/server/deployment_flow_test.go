package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/wiring"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

func TestDeploymentAllowAndDeny(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	run := h.newRun(ghstandin.WorkflowRun{})
	if code, body := h.deploy(run, "staging", ""); code != 200 || !strings.Contains(body, "deployment_allowed") {
		t.Fatalf("staging: %d %s", code, body)
	}
	rv := h.waitReview(run.ID)
	if rv.State != "approved" || rv.Environment != "staging" || rv.Status != 204 || !strings.Contains(rv.Comment, "rule staging") {
		t.Errorf("staging review = %+v", rv)
	}
	bad := h.newRun(ghstandin.WorkflowRun{Actor: "mallory"})
	if code, body := h.deploy(bad, "production", ""); code != 200 || !strings.Contains(body, "deployment_rejected") {
		t.Fatalf("mallory: %d %s", code, body)
	}
	if rv := h.waitReview(bad.ID); rv.State != "rejected" || !strings.Contains(rv.Comment, "no-prod-from-forks") {
		t.Errorf("deny review = %+v", rv)
	}
	if n := len(h.gs.CheckRuns(deployRepo)); n != 0 {
		t.Errorf("%d check runs for decisions made at once, want 0", n)
	}
	got := strings.Join(h.audit(), ",")
	for _, want := range []string{"requested,allowed,deployment_answered", "requested,rejected,deployment_answered"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit %s lacks %s", got, want)
		}
	}
}

// AllOf across a team and CODEOWNERS on a changed workflow: the stricter
// rule applies, the run's actor cannot approve, and only both approvals
// answer GitHub.
func TestDeploymentChangedWorkflowAllOfCodeowners(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	h.gs.SetFile(deployRepo, "", ".github/CODEOWNERS", "/.github/workflows/ @owen\n")
	h.gs.SetTeamMember("acme", "sre", "sam", "active")
	h.gs.SetTeamMember("acme", "sre", "dev", "active")
	for _, u := range []string{"sam", "owen", "dev"} {
		h.gs.SetPermission(deployRepo, u, "write")
	}
	run := h.newRun(ghstandin.WorkflowRun{})
	// The run's commit drops the gate from the workflow.
	h.gs.SetFile(deployRepo, run.HeadSHA, deployFile, strings.Replace(workflowYML, "environment: production", "environment: production # no gate", 1))
	if code, body := h.deploy(run, "production", ""); code != 200 || !strings.Contains(body, "deployment_pending") {
		t.Fatalf("deploy: %d %s", code, body)
	}
	req := h.pending()
	if req.Rule != "changed-workflow" || req.Source != gate.SourceDeployment || req.RiskLevel != "high" {
		t.Fatalf("request: rule %s source %s risk %s", req.Rule, req.Source, req.RiskLevel)
	}
	cr := h.announced(req, run, "@owen")
	for _, who := range []string{"dev", "sam"} { // dev is the run's actor: does not count
		h.click(cr, who)
	}
	if r, _ := h.st.GetRequest(context.Background(), req.ID); r.Status != gate.StatusPending || len(r.Votes) != 1 {
		t.Fatalf("after dev and sam: %s with %d votes, want pending with sam's", r.Status, len(r.Votes))
	}
	if len(h.reviews(run.ID)) != 0 {
		t.Fatal("GitHub was answered before the requirement was met")
	}
	h.click(cr, "owen")
	rv := h.waitReview(run.ID)
	if rv.State != "approved" || !strings.Contains(rv.Comment, "sam") || !strings.Contains(rv.Comment, "owen") {
		t.Errorf("review = %+v", rv)
	}
	if h.gs.WaitingDeployments(run.ID, "production") != 0 {
		t.Error("the job still waits on GitHub's side")
	}
	if final, _ := h.gs.GetCheckRun(cr.ID); final.Conclusion != "success" {
		t.Errorf("check run conclusion %s", final.Conclusion)
	}
}

// A reusable workflow of the same repository that differs also counts.
func TestDeploymentReusableWorkflowChanged(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	const reusable = ".github/workflows/rollout.yml"
	h.gs.SetFile(deployRepo, "", reusable, "on: workflow_call\n")
	run := h.newRun(ghstandin.WorkflowRun{Referenced: []ghstandin.ReferencedWorkflow{
		{Path: deployRepo + "/" + reusable + "@main", SHA: ""},
		{Path: "other/lib/.github/workflows/x.yml@v1", SHA: strings.Repeat("c", 40), Ref: "refs/tags/v1"},
	}})
	h.gs.SetFile(deployRepo, run.HeadSHA, reusable, "on: workflow_call\n# changed\n")
	if code, body := h.deploy(run, "production", ""); code != 200 {
		t.Fatalf("deploy: %d %s", code, body)
	}
	req := h.pending()
	if req.Rule != "changed-workflow" {
		t.Fatalf("rule %s, want changed-workflow (the reusable workflow differs)", req.Rule)
	}
	if s := h.checkRun(req).Summary; !strings.Contains(s, "rollout.yml") || !strings.Contains(s, "other/lib/.github/workflows/x.yml@v1") {
		t.Errorf("summary does not list the reusable workflows:\n%s", s)
	}
}

func TestDeploymentRejectByCommentOnPR(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	h.gs.SetTeamMember("acme", "sre", "sam", "active")
	h.gs.SetPermission(deployRepo, "sam", "write")
	run := h.newRun(ghstandin.WorkflowRun{Event: "pull_request", HeadBranch: "main", PullRequests: []int{7}})
	h.gs.AddPullRequest(deployRepo, ghstandin.PullRequest{Number: 7, HeadSHA: run.HeadSHA, HeadRef: "main", Author: "dev"})
	if code, body := h.deploy(run, "production", ""); code != 200 {
		t.Fatalf("deploy: %d %s", code, body)
	}
	req := h.pending()
	// A PR's branch named "main" is not the branch main: the prod rule
	// does not apply, the default requirement does.
	if req.Rule != "default" || req.PRNumber != 7 || req.Ref != "refs/pull/7/merge" {
		t.Fatalf("request: rule %s pr %d ref %s", req.Rule, req.PRNumber, req.Ref)
	}
	if cs := h.gs.IssueComments(deployRepo, 7); len(cs) != 1 {
		t.Fatalf("PR comments = %d, want 1", len(cs))
	}
	if code, err := h.gs.PostIssueComment(deployRepo, 7, "sam", "/stepgate reject "+req.ID+" not during the sale"); err != nil || code != 200 {
		t.Fatalf("comment: %d %v", code, err)
	}
	rv := h.waitReview(run.ID)
	if rv.State != "rejected" || !strings.Contains(rv.Comment, "sam") || !strings.Contains(rv.Comment, "not during the sale") {
		t.Errorf("review = %+v", rv)
	}
}

func TestDeploymentExpiresAndFreezeRejects(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	h.gs.SetPermission(deployRepo, "ada", "admin")
	run := h.newRun(ghstandin.WorkflowRun{})
	h.deploy(run, "production", "")
	req := h.pending()
	if req.Rule != "prod" || req.ExpiresAt.Sub(req.CreatedAt) != 30*time.Minute {
		t.Fatalf("rule %s timeout %s", req.Rule, req.ExpiresAt.Sub(req.CreatedAt))
	}
	h.advance(31 * time.Minute)
	if n := h.srv.SweepOnce(context.Background()); n != 1 {
		t.Fatalf("swept %d", n)
	}
	if rv := h.waitReview(run.ID); rv.State != "rejected" || !strings.Contains(rv.Comment, "expired") {
		t.Errorf("expiry review = %+v", rv)
	}

	run2 := h.newRun(ghstandin.WorkflowRun{})
	h.deploy(run2, "production", "")
	h.pending()
	if code, err := h.gs.PostCommitComment(deployRepo, run2.HeadSHA, "ada", "/stepgate freeze incident 42"); err != nil || code != 200 {
		t.Fatalf("freeze: %d %v", code, err)
	}
	if rv := h.waitReview(run2.ID); rv.State != "rejected" || !strings.Contains(rv.Comment, "frozen") {
		t.Errorf("freeze review = %+v", rv)
	}
	run3 := h.newRun(ghstandin.WorkflowRun{})
	if code, body := h.deploy(run3, "staging", ""); code != 200 || !strings.Contains(body, "deployment_rejected") {
		t.Fatalf("deploy while frozen: %d %s (even an allow rule must not pass)", code, body)
	}
	if rv := h.waitReview(run3.ID); rv.State != "rejected" {
		t.Errorf("review while frozen = %+v", rv)
	}
}

// A redelivered webhook is answered once; another job of the same run
// reaching the same environment gets the stored decision again; a waiting
// deployment costs no GitHub call.
func TestDeploymentRedeliveryAndWaiting(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	h.gs.SetTeamMember("acme", "sre", "sam", "active")
	h.gs.SetPermission(deployRepo, "sam", "write")
	run := h.newRun(ghstandin.WorkflowRun{})
	if code, _ := h.deploy(run, "production", "delivery-1"); code != 200 {
		t.Fatalf("first delivery: %d", code)
	}
	code, body := h.deploy(run, "production", "delivery-1")
	if code != 200 || !strings.Contains(body, "duplicate") {
		t.Fatalf("redelivery: %d %s", code, body)
	}
	req := h.pending()
	if n := len(h.gs.CheckRuns(deployRepo)); n != 1 {
		t.Fatalf("check runs = %d, want 1", n)
	}
	start := time.Now()
	time.Sleep(300 * time.Millisecond) // a window of waiting in which no call may happen
	h.srv.SweepOnce(context.Background())
	if n := apiCalls(h.gs.CallsSince(start)); n != 0 {
		t.Errorf("GitHub calls while the deployment waited = %d, want 0", n)
	}
	if code, err := h.gs.ClickAction(deployRepo, req.CheckRunID, "approve", "sam"); err != nil || code != 200 {
		t.Fatalf("click: %d %v", code, err)
	}
	h.waitReview(run.ID)
	// GitHub redelivers the first delivery (same id): nothing more.
	if code, body := h.deploy(run, "production", "delivery-1"); code != 200 || !strings.Contains(body, "duplicate") {
		t.Fatalf("late redelivery: %d %s", code, body)
	}
	// A second job of the run reaches production: answered again at once.
	if code, body := h.deploy(run, "production", "delivery-2"); code != 200 || !strings.Contains(body, "answered_again") {
		t.Fatalf("second job: %d %s", code, body)
	}
	rs := h.reviews(run.ID)
	if len(rs) != 2 || rs[0].State != "approved" || rs[1].State != "approved" {
		t.Fatalf("reviews = %+v, want two approvals (one per waiting job)", rs)
	}
	for _, r := range h.gs.DeploymentReviews(deployRepo) {
		if r.Status != 204 {
			t.Errorf("a review GitHub would refuse: %+v", r)
		}
	}
}

// Approve & remember lets the same environment, branch and workflow pass
// next time; an edited workflow file needs a fresh approval.
func TestDeploymentRemember(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	h.gs.SetTeamMember("acme", "sre", "sam", "active")
	h.gs.SetPermission(deployRepo, "sam", "write")
	run := h.newRun(ghstandin.WorkflowRun{})
	h.deploy(run, "production", "")
	req := h.pending()
	if code, err := h.gs.ClickAction(deployRepo, req.CheckRunID, "remember", "sam"); err != nil || code != 200 {
		t.Fatalf("click: %d %v", code, err)
	}
	if rv := h.waitReview(run.ID); rv.State != "approved" {
		t.Fatalf("review %+v", rv)
	}
	again := h.newRun(ghstandin.WorkflowRun{})
	if code, body := h.deploy(again, "production", ""); !strings.Contains(body, "deployment_allowed") {
		t.Fatalf("remembered deployment: %d %s", code, body)
	}
	if rv := h.waitReview(again.ID); rv.State != "approved" || !strings.Contains(rv.Comment, "remembered") {
		t.Errorf("remembered review = %+v", rv)
	}
	other := h.newRun(ghstandin.WorkflowRun{HeadBranch: "release"})
	if _, body := h.deploy(other, "production", ""); strings.Contains(body, "deployment_allowed") {
		t.Errorf("another branch passed on the remembered approval: %s", body)
	}
}

// Who set the deployment going cannot approve it: the run's actor, the
// attempt's triggering actor (a re-run) and the pull request's author.
func TestDeploymentStartersCannotApprove(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	for _, u := range []string{"dev", "rerunner", "pat", "sam"} {
		h.gs.SetPermission(deployRepo, u, "admin")
	}
	run := h.newRun(ghstandin.WorkflowRun{Event: "pull_request", Actor: "dev", TriggeringActor: "rerunner", Attempt: 2, PullRequests: []int{9}})
	h.gs.AddPullRequest(deployRepo, ghstandin.PullRequest{Number: 9, HeadSHA: run.HeadSHA, HeadRef: "feature", Author: "pat"})
	h.deploy(run, "production", "")
	req := h.pending()
	if req.RunAttempt != 2 {
		t.Errorf("run attempt %d, want 2", req.RunAttempt)
	}
	for _, who := range []string{"dev", "rerunner", "pat"} {
		if code, err := h.gs.ClickAction(deployRepo, req.CheckRunID, "approve", who); err != nil || code != 200 {
			t.Fatalf("%s: %d %v", who, code, err)
		}
	}
	if r, _ := h.st.GetRequest(context.Background(), req.ID); r.Status != gate.StatusPending || len(r.Votes) != 0 {
		t.Fatalf("after the starters' clicks: %s with %d votes, want pending with none", r.Status, len(r.Votes))
	}
	if code, err := h.gs.ClickAction(deployRepo, req.CheckRunID, "approve", "sam"); err != nil || code != 200 {
		t.Fatalf("sam: %d %v", code, err)
	}
	if rv := h.waitReview(run.ID); rv.State != "approved" || !strings.Contains(rv.Comment, "sam") {
		t.Errorf("review %+v", rv)
	}
}

// replica starts a second App on the same store and returns its webhook URL.
// Two replicas on one store: the request opened by one is decided through
// the other, GitHub hears the decision once, and a redelivery to either
// replica changes nothing.
func TestDeploymentReplicas(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy)
	other := h.replica()
	h.gs.SetTeamMember("acme", "sre", "sam", "active")
	h.gs.SetPermission(deployRepo, "sam", "write")
	run := h.newRun(ghstandin.WorkflowRun{})
	if code, _ := h.deploy(run, "production", "d-1"); code != 200 {
		t.Fatalf("deploy: %d", code)
	}
	first := h.hook
	h.hook = other
	if code, body := h.deploy(run, "production", "d-1"); code != 200 || !strings.Contains(body, "duplicate") {
		t.Fatalf("redelivery to the other replica: %d %s", code, body)
	}
	req := h.pending()
	h.gs.SetWebhookTarget(other)
	if code, err := h.gs.ClickAction(deployRepo, req.CheckRunID, "approve", "sam"); err != nil || code != 200 {
		t.Fatalf("click on the other replica: %d %v", code, err)
	}
	h.waitReview(run.ID)
	h.hook = first
	if code, body := h.deploy(run, "production", "d-1"); code != 200 || !strings.Contains(body, "duplicate") {
		t.Fatalf("late redelivery: %d %s", code, body)
	}
	time.Sleep(100 * time.Millisecond) // a window in which a second answer, if any, would reach GitHub
	if rs := h.reviews(run.ID); len(rs) != 1 || rs[0].State != "approved" {
		t.Errorf("reviews = %+v, want one approval", rs)
	}
	if n := len(h.gs.CheckRuns(deployRepo)); n != 1 {
		t.Errorf("check runs = %d, want 1", n)
	}
}

// What the App cannot decide it rejects, saying why: an invalid policy, or
// GitHub failing to tell it about the run. The job never waits for nothing.
func TestDeploymentFailsClosed(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, "version: 1\nrules: []\ndeployments:\n  - name: x\n    if: { enviroment: production }\n    then: allow\n")
	run := h.newRun(ghstandin.WorkflowRun{})
	if code, body := h.deploy(run, "production", ""); code != 200 || !strings.Contains(body, "deployment_rejected") {
		t.Fatalf("invalid policy: %d %s", code, body)
	}
	if rv := h.waitReview(run.ID); rv.State != "rejected" || !strings.Contains(rv.Comment, "invalid") || !strings.Contains(rv.Comment, "line 5") {
		t.Errorf("invalid policy review = %+v", rv)
	}
	run2 := h.newRun(ghstandin.WorkflowRun{})
	h.gs.InjectFault("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}", 1, ghstandin.Fault{Status: 404, Body: `{"message":"Not Found"}`})
	if code, _ := h.deploy(run2, "production", "undecided-1"); code != 500 {
		t.Fatalf("GitHub failing: %d, want 500 (the delivery shows as failed)", code)
	}
	if rv := h.waitReview(run2.ID); rv.State != "rejected" || !strings.Contains(rv.Comment, "could not decide") {
		t.Errorf("undecided review = %+v", rv)
	}
}

// A repository of an owner the App does not serve (STEPGATE_ALLOWED_OWNERS)
// is rejected at once, even where its policy would allow.
func TestDeploymentOwnerNotAllowed(t *testing.T) {
	t.Parallel()
	h := newDeployHarness(t, deployPolicy, func(c *wiring.Config) { c.AllowedOwners = []string{"other-org"} })
	run := h.newRun(ghstandin.WorkflowRun{})
	if code, body := h.deploy(run, "staging", ""); code != 200 || !strings.Contains(body, "deployment_rejected") {
		t.Fatalf("deploy: %d %s", code, body)
	}
	if rv := h.waitReview(run.ID); rv.State != "rejected" || !strings.Contains(rv.Comment, "STEPGATE_ALLOWED_OWNERS") {
		t.Errorf("review = %+v", rv)
	}
}
