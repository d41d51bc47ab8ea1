package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

// The job-level gate part of the demo: the workflow's deploy job targets
// the environment production, where stepgate is enabled as a custom
// deployment protection rule. GitHub (the stand-in) holds the job, with no
// runner and no environment secrets, and asks the App with a
// deployment_protection_rule webhook; the App answers GitHub's review
// endpoint once the policy's deployments: rules are satisfied.

const workflowPath = ".github/workflows/deploy.yml"

const workflowYAML = `name: deploy
on: pull_request
jobs:
  deploy:
    environment: production   # stepgate is a protection rule of this environment
    runs-on: ubuntu-latest
    steps:
      - uses: stepgate/stepgate@v1
        with: { run: ./deploy.sh, server: https://stepgate.example.com, environment: production }
`

// interactiveJobWait bounds the wait for a job-level gate's review when a
// human decides: policyYAML's defaults.timeout (10m), after which the App
// expires the request and answers GitHub itself, plus a minute.
const interactiveJobWait = 11 * time.Minute

// editedHead is a later commit of the PR that edits the deploy workflow.
const editedHead = "d3d9446802a44259755d38e6d163e820c0ffee03"

type jobScene struct {
	title   string
	head    string // the run's head commit
	rule    string // the deployments: rule that must apply
	hint    string
	auto    func(ctx context.Context, s *session, checkRunID int64, reqID string) (time.Time, error) // when the deciding action was sent
	state   string                                                                                   // the review GitHub must receive
	comment string                                                                                   // a word the review comment must contain
}

func jobScenes() []jobScene {
	return []jobScene{
		{
			title: "the deploy job targets environment production: GitHub holds it until stepgate answers",
			head:  headSHA, rule: "prod-job", state: "approved", comment: reviewer,
			hint: "approve it (a, or Approve on the page)",
			auto: func(ctx context.Context, s *session, id int64, _ string) (time.Time, error) {
				s.out.printf("    > %s (who started the run) clicks Approve: must not count\n", actor)
				if err := s.click(id, "approve", actor); err != nil {
					return time.Time{}, err
				}
				if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
					return time.Time{}, err
				}
				s.out.printf("    > %s (team acme/sre) clicks Approve\n", reviewer)
				at := time.Now()
				return at, s.click(id, "approve", reviewer)
			},
		},
		{
			title: "a later commit edits deploy.yml: workflow_changed makes the stricter rule apply",
			head:  editedHead, rule: "workflow-changed", state: "rejected", comment: "removes the gate step",
			hint: "reject it (r, or Reject or a `/stepgate reject <reason>` comment on the page)",
			auto: func(_ context.Context, s *session, _ int64, reqID string) (time.Time, error) {
				body := "/stepgate reject " + reqID + " the edit removes the gate step"
				s.out.printf("    > %s comments on PR #%d: %s\n", maintainer, prNumber, body)
				at := time.Now()
				st, err := s.w.standin.PostIssueComment(repoName, prNumber, maintainer, body)
				if err == nil && st >= 300 {
					err = fmt.Errorf("the App answered the issue_comment webhook with %d", st)
				}
				return at, err
			},
		},
	}
}

// seedWorkflows puts the deploy workflow on the default branch and at the
// PR's commits: unchanged at headSHA, edited at editedHead.
func (w *world) seedWorkflows() {
	w.standin.SetFile(repoName, "", workflowPath, workflowYAML)
	w.standin.SetFile(repoName, headSHA, workflowPath, workflowYAML)
	edited := strings.Replace(workflowYAML, "      - uses: stepgate/stepgate@v1\n        with: { run: ./deploy.sh, server: https://stepgate.example.com, environment: production }\n",
		"      - run: ./deploy.sh   # the stepgate step is gone\n", 1)
	w.standin.SetFile(repoName, editedHead, workflowPath, edited)
}

// playJobGates runs the job-level scenes after the step scenarios.
func (s *session) playJobGates(ctx context.Context, offset, total int) []string {
	s.w.seedWorkflows()
	var failures []string
	for i, sc := range jobScenes() {
		if ctx.Err() != nil {
			return failures
		}
		s.out.printf("\n[%d/%d] %s\n", offset+i+1, total, sc.title)
		failures = append(failures, s.playJob(ctx, i, sc)...)
	}
	return failures
}

func (s *session) playJob(ctx context.Context, i int, sc jobScene) []string {
	// The wait for GitHub's review always has a deadline (it also ends
	// jobAnswers with the scene): the scripted reviewer decides within
	// milliseconds; a human has until the request expires, when the App
	// answers the review itself (rejected).
	wait := autoStepTimeout
	if !s.auto {
		wait = interactiveJobWait
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, wait)
	defer cancel()
	run := s.w.standin.AddWorkflowRun(ghstandin.WorkflowRun{Repo: repoName, Name: "deploy", Path: workflowPath,
		HeadSHA: sc.head, HeadBranch: "release-1.4.2", Event: "pull_request", Actor: actor, PullRequests: []int{prNumber}})
	before := len(s.w.standin.CheckRuns(repoName))
	s.out.printf("    GitHub: job deploy of run %d waits for environment production (no runner, no secrets yet)\n", run)
	var bad []string
	fail := func(format string, args ...any) {
		bad = append(bad, fmt.Sprintf("job-level gate %d: ", i+1)+fmt.Sprintf(format, args...))
	}
	if st, err := s.w.standin.RequestDeployment(repoName, run, "production"); err != nil || st != 200 {
		fail("the App answered deployment_protection_rule with %d (%v)", st, err)
		return s.reportJob(bad)
	}
	cr, ok := s.waitJobCheckRun(ctx, before)
	if !ok {
		fail("no check run was opened")
		return s.reportJob(bad)
	}
	s.out.printf("    ? check run #%d %q waits on PR #%d: %s\n", cr.ID, cr.Name, prNumber, cr.Title)
	decided := s.decideJob(ctx, sc, cr, fail)
	rv, ok := s.waitJobReview(ctx, run)
	if !ok {
		if !s.auto && parent.Err() == nil {
			s.out.printf("    ! GitHub heard no decision for run %d within %s; going on\n", run, wait)
		}
		fail("GitHub heard no decision within %s", wait)
		return s.reportJob(bad)
	}
	line := fmt.Sprintf("    = GitHub review: %s, %q", rv.State, rv.Comment)
	if !decided.IsZero() {
		line += fmt.Sprintf("; decision -> review call %s", ms(rv.Time.Sub(decided)))
	}
	s.out.printf("%s\n", line)
	if !s.auto {
		return nil
	}
	s.checkJobOutcome(sc, run, cr, rv, fail)
	return s.reportJob(bad)
}

// decideJob has the scripted reviewer decide the job's check run (and
// returns when), or asks the human at the terminal (zero time).
func (s *session) decideJob(ctx context.Context, sc jobScene, cr ghstandin.CheckRun, fail func(string, ...any)) time.Time {
	if !s.auto {
		s.out.printf("    ? you decide: %s\n", sc.hint)
		go s.jobAnswers(ctx, cr.ID)
		return time.Time{}
	}
	decided, err := sc.auto(ctx, s, cr.ID, cr.ExternalID)
	if err != nil {
		fail("the scripted reviewer failed: %v", err)
	}
	return decided
}

// checkJobOutcome checks GitHub heard the scene's decision: the review's
// state and comment, no job still waiting, the check run concluded.
func (s *session) checkJobOutcome(sc jobScene, run int64, cr ghstandin.CheckRun, rv ghstandin.DeploymentReview, fail func(string, ...any)) {
	s.checks += 4
	if rv.State != sc.state {
		fail("review state %q, want %q", rv.State, sc.state)
	}
	if !strings.Contains(rv.Comment, sc.comment) || !strings.Contains(rv.Comment, "rule "+sc.rule) {
		fail("review comment %q, want it to name %q and rule %s", rv.Comment, sc.comment, sc.rule)
	}
	if n := s.w.standin.WaitingDeployments(run, "production"); n != 0 {
		fail("%d jobs still wait on GitHub's side", n)
	}
	if final, _ := s.w.standin.GetCheckRun(cr.ID); final.Conclusion == "action_required" {
		fail("the check run still asks for approval")
	}
}

func (s *session) reportJob(bad []string) []string {
	if !s.auto {
		return nil
	}
	if len(bad) == 0 {
		s.out.printf("    ✓ as expected\n")
	}
	for _, b := range bad {
		s.out.printf("    ✗ %s\n", b)
	}
	return bad
}

func (s *session) waitJobCheckRun(ctx context.Context, before int) (ghstandin.CheckRun, bool) {
	for {
		if runs := s.w.standin.CheckRuns(repoName); len(runs) > before && len(runs[len(runs)-1].Actions) > 0 {
			return runs[len(runs)-1], true
		}
		if sleepCtx(ctx, 10*time.Millisecond) != nil {
			return ghstandin.CheckRun{}, false
		}
	}
}

// waitJobReview waits for the App's final answer (a review with a state).
func (s *session) waitJobReview(ctx context.Context, run int64) (ghstandin.DeploymentReview, bool) {
	for {
		for _, rv := range s.w.standin.DeploymentReviews(repoName) {
			if rv.RunID == run && rv.State != "" {
				return rv, true
			}
		}
		if sleepCtx(ctx, 10*time.Millisecond) != nil {
			return ghstandin.DeploymentReview{}, false
		}
	}
}

// jobAnswers turns the interactive reviewer's a/r answers into clicks.
func (s *session) jobAnswers(ctx context.Context, checkRunID int64) {
	for {
		select {
		case <-ctx.Done():
			return
		case a, ok := <-s.answers:
			if !ok {
				return
			}
			if _, acted := s.terminalAnswer(a, checkRunID); acted {
				return
			}
		}
	}
}
