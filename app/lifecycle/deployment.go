package lifecycle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
)

// Job-level gates: the App as a GitHub custom deployment protection rule.
// A job that targets an environment where the App is enabled waits on
// GitHub's side (no runner, no environment secrets) while GitHub sends
// deployment_protection_rule (action requested). The App decides it with
// the policy's `deployments:` rules; a rule that requires approval opens a
// request of Source "deployment" that lives exactly like a step's (check
// run, comment, votes with the same re-checks, expiry, freeze, audit,
// remember), and its final status is answered to GitHub (deployment_answer.go).

// DeploymentEvent is the part of the deployment_protection_rule payload the
// App reads. Everything in it is GitHub's word (the payload is signed).
type DeploymentEvent struct {
	Action      string `json:"action"`
	Environment string `json:"environment"`
	Event       string `json:"event"`
	CallbackURL string `json:"deployment_callback_url"`
	Deployment  *struct {
		ID  int64  `json:"id"`
		SHA string `json:"sha"`
		Ref string `json:"ref"`
	} `json:"deployment"`
	PullRequests []struct {
		Number int        `json:"number"`
		User   ghapi.User `json:"user"`
	} `json:"pull_requests"`
	Repository struct {
		ghapi.Repo
		DefaultBranch string `json:"default_branch"`
		HTMLURL       string `json:"html_url"`
	} `json:"repository"`
	Installation ghapi.Installation `json:"installation"`
	Sender       ghapi.User         `json:"sender"`
}

// deploymentDeadline bounds the processing of one deployment webhook.
const deploymentDeadline = 2 * time.Minute

// callbackRE is the path of a deployment_callback_url (optionally below
// GitHub Enterprise Server's /api/v3).
var callbackRE = regexp.MustCompile(`^(?:/api/v3)?/repos/([^/]+)/([^/]+)/actions/runs/([0-9]{1,19})/deployment_protection_rule$`)

// callbackRun returns the run id the callback URL names, if it names a run
// of repo. The URL itself is never called: the review goes through the
// configured GitHub API, so the installation token goes nowhere else.
func callbackRun(raw, repo string) (int64, bool) {
	u, err := neturl.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return 0, false
	}
	m := callbackRE.FindStringSubmatch(u.EscapedPath())
	if m == nil || !strings.EqualFold(m[1]+"/"+m[2], repo) {
		return 0, false
	}
	id, err := strconv.ParseInt(m[3], 10, 64)
	return id, err == nil && id > 0
}

// Deployment handles a deployment_protection_rule delivery (app/server
// decodes the signed payload into e). Its delivery is marked as seen only
// once it has been processed (like a click), so a delivery that failed
// here can be redelivered from GitHub.
func (l *Lifecycle) Deployment(ctx context.Context, log *slog.Logger, e DeploymentEvent) (string, error) {
	if e.Action != "requested" {
		return "ignored", nil
	}
	repo := e.Repository.FullName
	runID, ok := callbackRun(e.CallbackURL, repo)
	env := strings.TrimSpace(e.Environment)
	if !ok || env == "" || len(env) > 255 || e.Repository.ID <= 0 {
		return "bad_payload", nil
	}
	// GitHub gives up on a delivery after 10 s, but the job waits on the
	// App's answer: finish deciding (and answering) even if GitHub hangs up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deploymentDeadline)
	defer cancel()
	out, err := l.deploymentRequested(ctx, log, &e, repo, runID, env)
	if err != nil {
		// Nothing else will ask again (GitHub does not redeliver on its
		// own), so fail closed now rather than leave the job waiting.
		l.rejectUndecided(ctx, &e, runID, env, err)
	}
	return out, err
}

// deploymentRequested decides and answers one deployment_protection_rule.
func (l *Lifecycle) deploymentRequested(ctx context.Context, log *slog.Logger, e *DeploymentEvent, repo string, runID int64, env string) (string, error) {
	run, err := l.gh.WorkflowRun(ctx, repo, runID)
	l.countGitHub("workflow_run", err)
	if err != nil {
		return "", fmt.Errorf("reading the workflow run: %w", err)
	}
	key := deploymentKey(e.Repository.ID, runID, run.Attempt, env)
	reqID := gate.RequestID(key)
	log = log.With("request_id", reqID, "repo", repo, "run_id", runID, "environment", env)
	ctx = WithLog(ctx, log)
	// One read first (deployments are rare, unlike step creates): a
	// repeat, on whichever replica, asks GitHub nothing again.
	existing, err := l.store.GetRequest(ctx, reqID)
	switch {
	case err == nil:
		return l.repeatedDeployment(ctx, existing)
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("reading the request: %w", err)
	}
	req := l.newDeploymentRequest(e, run, env, key, reqID)
	if err := l.decideDeployment(ctx, req, e, run); err != nil {
		return "", err
	}
	stored, created, err := l.storeNew(ctx, req)
	if err != nil {
		return "", fmt.Errorf("creating the request: %w", err)
	}
	if !created {
		return l.repeatedDeployment(ctx, stored)
	}
	stored = l.afterCreate(ctx, stored)
	if stored.Status.Final() {
		l.answerDeployment(ctx, stored)
	} else {
		l.noteDeploymentPending(ctx, stored)
	}
	if _, err := l.once(ctx, ""); err != nil {
		log.WarnContext(ctx, "recording delivery", "err", err)
	}
	return "deployment_" + string(stored.Status), nil
}

// rejectUndecided answers rejected for a deployment the App could not
// decide (GitHub or the store failing), saying why and that a re-run asks
// again. The error itself is answered 500 (app/server), so GitHub's delivery
// log shows it.
func (l *Lifecycle) rejectUndecided(ctx context.Context, e *DeploymentEvent, runID int64, env string, cause error) {
	// Only the App's own step names, not GitHub's or the store's error text.
	step, _, _ := strings.Cut(cause.Error(), ": ")
	msg := "stepgate could not decide this deployment (" + step + " failed), so it is rejected. Nothing was approved; re-run the job to ask again."
	err := l.gh.ReviewDeployment(ctx, e.Repository.FullName, runID, env, "rejected", msg)
	l.countGitHub("review_deployment", err)
	if err != nil {
		l.logger(ctx).ErrorContext(ctx, "rejecting an undecided deployment", "err", err)
		return
	}
	l.trail.repo(ctx, e.Repository.FullName, eventDeploymentAnswered, "", "", map[string]string{"state": "rejected", "comment": msg,
		"run_id": strconv.FormatInt(runID, 10), "environment": env})
}

// repeatedDeployment answers a deployment_protection_rule whose request
// exists: a redelivery changes nothing. Another delivery for the same run
// attempt and environment (a second job deploying there) is answered again
// with the stored decision, so that job does not wait for nothing.
func (l *Lifecycle) repeatedDeployment(ctx context.Context, r *gate.Request) (string, error) {
	first, err := l.once(ctx, r.ID)
	if err != nil || !first {
		return "duplicate", err
	}
	if r.ExpiredAt(l.now()) {
		r = l.Expire(ctx, r) // answers GitHub through finish
		return "deployment_" + string(r.Status), nil
	}
	if r.Status.Final() {
		l.answerDeployment(ctx, r)
		return "deployment_answered_again", nil
	}
	if r.CheckRunID == 0 {
		l.openOnGitHub(ctx, r)
	}
	return "deployment_pending", nil
}

// starters lists who set the deployment going other than the run's actor:
// the attempt's triggering actor and the authors of its pull requests.
func starters(run ghapi.WorkflowRun, e *DeploymentEvent, actor string) []string {
	var out []string
	add := func(login string) {
		if login != "" && !strings.EqualFold(login, actor) {
			out = append(out, login)
		}
	}
	add(run.TriggeringActor)
	for _, pr := range e.PullRequests {
		add(pr.User.Login)
	}
	return policy.DedupeFold(out)
}

// deploymentKey identifies one deployment gate: a run attempt and an
// environment (GitHub's review covers every job of the attempt waiting on
// that environment). Environment names ignore case on GitHub.
func deploymentKey(repoID, runID int64, attempt int, env string) string {
	return strings.Join([]string{"deployment", strconv.FormatInt(repoID, 10), strconv.FormatInt(runID, 10),
		strconv.Itoa(attempt), strings.ToLower(env)}, "\x1f")
}

func (l *Lifecycle) newDeploymentRequest(e *DeploymentEvent, run ghapi.WorkflowRun, env, key, reqID string) *gate.Request {
	pr, author := 0, ""
	if len(run.PullRequests) > 0 {
		pr = run.PullRequests[0]
	} else if len(e.PullRequests) > 0 {
		pr = e.PullRequests[0].Number
	}
	for _, p := range e.PullRequests {
		if p.Number == pr {
			author = p.User.Login
		}
	}
	workflow := workflowPath(run.Path, e.Repository.FullName)
	display := fmt.Sprintf("deploy to environment %q\nworkflow: %s\nrun: %d (attempt %d), event %s", env, workflow, run.ID, run.Attempt, run.Event)
	sum := sha256.Sum256([]byte(key))
	return &gate.Request{
		ID: reqID, IdempotencyKey: key, Source: gate.SourceDeployment,
		Repo: e.Repository.FullName, RepoID: e.Repository.ID, InstallationID: e.Installation.ID,
		RunID: run.ID, RunAttempt: run.Attempt, Workflow: workflow,
		Job: "(job-level gate)", Step: "deployment to " + env, Actor: run.Actor, Ref: deploymentBranch(run, e.Repository.FullName, pr),
		EventName: run.Event, HeadSHA: run.HeadSHA, PRNumber: pr, PRAuthor: author, Environment: env,
		Command: display, CommandSHA256: hex.EncodeToString(sum[:]),
		CreatedAt: l.now().UTC(), Status: gate.StatusPending,
	}
}

// deploymentBranch is the branch the `branch` key matches. A branch name
// is only trusted when the run's head is a branch of this repository and
// the run is not a pull request's: a PR (from a fork above all) may call
// its branch "main", so pull request runs match as refs/pull/N/merge, like
// their OIDC token's ref, and runs of another repository's head as nothing.
func deploymentBranch(run ghapi.WorkflowRun, repo string, pr int) string {
	switch {
	case strings.HasPrefix(run.Event, "pull_request"):
		return "refs/pull/" + strconv.Itoa(pr) + "/merge"
	case run.HeadRepo != "" && !strings.EqualFold(run.HeadRepo, repo):
		return ""
	case run.HeadBranch == "":
		return ""
	}
	return "refs/heads/" + run.HeadBranch
}

// decideDeployment fills the policy outcome: frozen, invalid policy and
// deny reject at once, allow and a remembered deployment approve at once,
// anything else stays pending with its requirement.
func (l *Lifecycle) decideDeployment(ctx context.Context, req *gate.Request, e *DeploymentEvent, run ghapi.WorkflowRun) error {
	now := req.CreatedAt
	final := func(st gate.Status, rule, reason string) error { return decided(req, st, rule, reason) }
	owner, _, _ := strings.Cut(req.Repo, "/")
	if len(l.cfg.AllowedOwners) > 0 && !slices.ContainsFunc(l.cfg.AllowedOwners, func(o string) bool { return strings.EqualFold(o, owner) }) {
		return final(gate.StatusRejected, "allowed-owners", owner+" is not an allowed owner of this stepgate App (STEPGATE_ALLOWED_OWNERS)")
	}
	fr, pol, polErr, err := l.rules(ctx, req.Repo)
	switch {
	case err != nil:
		return fmt.Errorf("reading the freeze flag and policy: %w", err)
	case fr.Frozen:
		return final(gate.StatusRejected, "freeze", freezeReason(fr))
	case polErr != nil:
		return final(gate.StatusRejected, "invalid-policy", "policy "+PolicyPath+" is invalid: "+firstLine(polErr))
	}
	wf, err := l.checkWorkflow(ctx, req.Repo, run, e.Repository.DefaultBranch, e.Repository.HTMLURL)
	if err != nil {
		return err
	}
	wf.Starters = starters(run, e, req.Actor)
	req.RiskLevel, req.RiskScore, req.RiskReasons = deploymentRisk(wf)
	req.NormalizedSHA256 = deploymentRememberKey(wf, req.Environment, req.Ref)
	m := pol.EvaluateDeployment(policy.DeploymentFacts{Environment: req.Environment, Branch: req.Ref,
		Actor: req.Actor, Time: now, WorkflowChanged: wf.Changed})
	req.Rule, req.SelfApproval = m.Rule, m.SelfApproval
	sp := &gate.Spec{Deployment: wf}
	req.Spec = sp
	if m.Decision == policy.Deny {
		return final(gate.StatusRejected, m.Rule, "denied by deployment rule "+m.Rule)
	}
	if m.Decision == policy.Allow {
		return final(gate.StatusAllowed, m.Rule, "allowed by deployment rule "+m.Rule)
	}
	if m.Remember > 0 {
		why, err := l.remembered(ctx, req, req.Environment, "deployment")
		if err != nil {
			return fmt.Errorf("looking up remembered deployments: %w", err)
		}
		if why != "" {
			return final(gate.StatusAllowed, m.Rule, why)
		}
	}
	req.ExpiresAt = now.Add(min(m.Timeout, maxTimeout))
	req.RememberTTL = int64(m.Remember.Seconds())
	sp.Require = m.Require
	if sp.Owners, err = l.owners(ctx, req.Repo, m.Require); err != nil {
		return fmt.Errorf("reading CODEOWNERS: %w", err)
	}
	return nil
}
