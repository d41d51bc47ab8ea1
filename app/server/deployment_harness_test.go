package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/app/server"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/wiring"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
	"github.com/stepgate/stepgate/internal/webhookschema"
)

// Job-level gates end to end: the real GitHub client against the GitHub
// stand-in (every API call checked against GitHub's OpenAPI description),
// deployment_protection_rule payloads checked against GitHub's webhook
// schemas before they are delivered, signed, to the App.

const (
	deployRepo  = "acme/shop"
	deployFile  = ".github/workflows/deploy.yml"
	workflowYML = "name: deploy\non: push\njobs:\n  deploy:\n    environment: production\n    runs-on: ubuntu-latest\n    steps: [ { run: ./deploy.sh } ]\n"
)

type deployHarness struct {
	t      testing.TB
	gs     *ghstandin.Server
	st     store.Store
	srv    *server.Server
	cfg    wiring.Config
	schema *webhookschema.Set
	hook   string // the App's webhook URL
	now    atomic.Pointer[time.Time]
	head   atomic.Int64
}

func newDeployHarness(t testing.TB, policy string, configure ...func(*wiring.Config)) *deployHarness {
	t.Helper()
	h := &deployHarness{t: t, schema: webhookschema.ForTest(t)}
	h.gs = standintest.New(t, ghstandin.Options{WebhookSecret: testSecret})
	h.gs.AddRepo(ghstandin.Repo{FullName: deployRepo})
	h.gs.SetFile(deployRepo, "", deployFile, workflowYML)
	if policy != "" {
		h.gs.SetFile(deployRepo, "", lifecycle.PolicyPath, policy)
	}
	h.st = openBolt(t)
	n := time.Now()
	h.now.Store(&n)
	h.cfg = testConfig(h.gs, "")
	for _, c := range configure {
		c(&h.cfg)
	}
	app, url := startApp(t, h.cfg, h.st, h.clock)
	h.srv, h.hook = app.Server, url+"/webhook"
	h.gs.SetWebhookTarget(h.hook)
	return h
}

func (h *deployHarness) clock() time.Time { return *h.now.Load() }

func (h *deployHarness) advance(d time.Duration) {
	n := h.now.Load().Add(d)
	h.now.Store(&n)
}

// newRun registers a run of deploy.yml at a fresh head commit holding the
// default branch's workflow file unless edit changes it.
func (h *deployHarness) newRun(run ghstandin.WorkflowRun) ghstandin.WorkflowRun {
	h.t.Helper()
	run.Repo = deployRepo
	if run.HeadSHA == "" {
		run.HeadSHA = fmt.Sprintf("%040x", 0xdead0000+h.head.Add(1))
	}
	if run.Actor == "" {
		run.Actor = "dev"
	}
	h.gs.SetFile(deployRepo, run.HeadSHA, deployFile, workflowYML)
	run.ID = h.gs.AddWorkflowRun(run)
	return run
}

// deploy plays GitHub reaching a job of run that targets env: the payload
// is checked against GitHub's webhook schema, then delivered. delivery ""
// is a fresh delivery id.
func (h *deployHarness) deploy(run ghstandin.WorkflowRun, env, delivery string) (int, string) {
	h.t.Helper()
	p, err := h.gs.DeploymentProtectionRulePayload(deployRepo, run.ID, env)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.schema.Validate("deployment_protection_rule", "requested", p); err != nil {
		h.t.Fatalf("the stand-in's payload is not one GitHub could send: %v", err)
	}
	body, _ := json.Marshal(p)
	if delivery == "" {
		delivery = fmt.Sprintf("dpr-%d-%d", run.ID, time.Now().UnixNano())
	}
	resp, err := h.gs.SendRawWebhook(context.Background(), h.hook, "deployment_protection_rule", delivery, body)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// reviews returns the review calls answered 204 (state set) for run.
func (h *deployHarness) reviews(runID int64) []ghstandin.DeploymentReview {
	var out []ghstandin.DeploymentReview
	for _, r := range h.gs.DeploymentReviews(deployRepo) {
		if r.RunID == runID && r.State != "" {
			out = append(out, r)
		}
	}
	return out
}

// waitReview waits for the run's review decision to reach GitHub.
func (h *deployHarness) waitReview(runID int64) ghstandin.DeploymentReview {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if rs := h.reviews(runID); len(rs) > 0 {
			return rs[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("no review of run %d reached GitHub; all reviews: %+v", runID, h.gs.DeploymentReviews(""))
	return ghstandin.DeploymentReview{}
}

// pending returns the one pending deployment request of the repository.
func (h *deployHarness) pending() *gate.Request {
	h.t.Helper()
	rs, err := h.st.ListPendingRepo(context.Background(), deployRepo)
	if err != nil || len(rs) != 1 {
		h.t.Fatalf("pending requests = %d (%v), want 1", len(rs), err)
	}
	return rs[0]
}

func (h *deployHarness) checkRun(r *gate.Request) ghstandin.CheckRun {
	h.t.Helper()
	cr, ok := h.gs.GetCheckRun(r.CheckRunID)
	if !ok {
		h.t.Fatalf("request %s has no check run", r.ID)
	}
	return cr
}

func (h *deployHarness) audit() []string {
	h.t.Helper()
	evs, err := h.st.ListAudit(context.Background(), deployRepo, time.Time{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

const deployPolicy = `version: 1
rules: []
deployments:
  - name: staging
    if: { environment: staging }
    then: allow
  - name: no-prod-from-forks
    if: { environment: production, actor: mallory }
    then: deny
  - name: changed-workflow
    if: { environment: production, workflow_changed: true }
    require:
      all_of:
        - team: acme/sre
        - codeowners: .github/workflows/
  - name: prod
    if: { environment: production, branch: main }
    require: { team: acme/sre }
    remember: 12h
    timeout: 30m
`

func (h *deployHarness) replica() string {
	h.t.Helper()
	_, url := startApp(h.t, h.cfg, h.st, h.clock)
	return url + "/webhook"
}

// announced checks what a pending deployment request shows on GitHub: its
// check run on the run's head commit, linking the compare view, one commit
// comment mentioning mention, and one review comment on the waiting
// deployment naming the request. It returns the check run.
func (h *deployHarness) announced(req *gate.Request, run ghstandin.WorkflowRun, mention string) ghstandin.CheckRun {
	h.t.Helper()
	cr := h.checkRun(req)
	if cr.HeadSHA != run.HeadSHA || cr.Conclusion != "action_required" || !strings.Contains(cr.Summary, "/compare/main..."+run.HeadSHA) ||
		!strings.Contains(cr.Title, "Deployment to production") {
		h.t.Fatalf("check run: head %s conclusion %s title %q summary:\n%s", cr.HeadSHA, cr.Conclusion, cr.Title, cr.Summary)
	}
	if cs := h.gs.CommitComments(deployRepo, run.HeadSHA); len(cs) != 1 || !strings.Contains(cs[0].Body, mention) {
		h.t.Fatalf("commit comments = %+v", cs)
	}
	// The waiting deployment got a comment saying where to approve.
	if all := h.gs.DeploymentReviews(deployRepo); len(all) != 1 || all[0].State != "" || !strings.Contains(all[0].Comment, req.ID) {
		h.t.Fatalf("reviews after the request = %+v, want one comment naming %s", all, req.ID)
	}
	return cr
}

// click clicks Approve on check run cr as who.
func (h *deployHarness) click(cr ghstandin.CheckRun, who string) {
	h.t.Helper()
	if code, err := h.gs.ClickAction(deployRepo, cr.ID, "approve", who); err != nil || code != 200 {
		h.t.Fatalf("%s's click: %d %v", who, code, err)
	}
}
