package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

// review is how a pending step gets decided: what auto mode does, and what
// the interactive reviewer is advised to do.
type review struct {
	hint string // shown to the human
	// auto plays the reviewers; it returns when the deciding action was
	// delivered, with the time just before it.
	auto func(ctx context.Context, s *session, checkRunID int64) (time.Time, error)
}

// expect is what --auto checks after a step.
type expect struct {
	status     string
	exit       int
	ran        bool
	approvedBy string
	checkRun   bool // a check run was opened for the step
	noGitHub   bool // not one GitHub API call while the step ran
}

type scenario struct {
	title  string
	step   step
	review *review // nil: no human needed
	want   expect
	settle bool // wait for the App's GitHub traffic to stop first
}

// autoStepTimeout bounds one step in --auto mode.
const autoStepTimeout = 60 * time.Second

// session is one scripted workflow run.
type session struct {
	w       *world
	out     *console
	auto    bool
	answers <-chan string
	checks  int
	runID   int64
}

func scenarios() []scenario {
	const env = "production"
	return []scenario{
		{
			title: "a read-only command: allowed by policy, no human involved",
			step:  step{command: "kubectl get pods -n shop", environment: env},
			want:  expect{status: "allowed", exit: 0, ran: true},
		},
		{
			title:  "a database migration: waits for an eligible reviewer",
			step:   step{command: "./bin/migrate -path db/migrations up", environment: env, reason: "release 1.4.2 adds orders.discount"},
			review: &review{hint: "approve it (a, or Approve on the page)", auto: approveAfterSelfApproval},
			want:   expect{status: "approved", exit: 0, ran: true, approvedBy: reviewer, checkRun: true},
		},
		{
			title:  "a destructive command: a reviewer rejects it with a PR comment",
			step:   step{command: "kubectl delete namespace shop", environment: env, reason: "clean slate"},
			review: &review{hint: "reject it (r, or comment `/stepgate reject too risky` on the page)", auto: rejectByComment},
			want:   expect{status: "rejected", exit: 3, ran: false, checkRun: true},
		},
		{
			title: "a command the policy denies outright: nobody is asked",
			step:  step{command: "terraform destroy -auto-approve", environment: env},
			want:  expect{status: "rejected", exit: 3, ran: false},
		},
		{
			title:  "a deployment approved with \"Approve & remember\" (rule prod: remember 24h)",
			step:   step{command: "./deploy.sh --version 1.4.2 --region eu-central-1", environment: env},
			review: &review{hint: "approve and remember it (m, or Approve & remember on the page)", auto: approveAndRemember},
			want:   expect{status: "approved", exit: 0, ran: true, approvedBy: reviewer, checkRun: true},
		},
		{
			title:  "the same deployment again, in a new run: remembered, passes at once",
			step:   step{command: "./deploy.sh --version 1.4.2 --region eu-central-1", environment: env},
			want:   expect{status: "allowed", exit: 0, ran: true, noGitHub: true},
			settle: true,
		},
	}
}

// play runs every scenario and returns what --auto found wrong.
func (s *session) play(ctx context.Context) []string {
	var failures []string
	all := scenarios()
	total := len(all) + len(jobScenes())
	for i, sc := range all {
		if ctx.Err() != nil {
			return failures
		}
		sc.step.n = i + 1
		s.runID = 9000 + int64(i) // each step in its own workflow run
		s.out.printf("\n[%d/%d] %s\n", i+1, total, sc.title)
		s.out.printf("    $ %s   (environment %s)\n", sc.step.command, sc.step.environment)
		failures = append(failures, s.playOne(ctx, sc)...)
	}
	// Job-level gates: the same App as a deployment protection rule (jobgate.go).
	return append(failures, s.playJobGates(ctx, len(all), total)...)
}

func (s *session) playOne(ctx context.Context, sc scenario) []string {
	if sc.settle {
		s.w.settle(ctx)
	}
	before := len(s.w.standin.CheckRuns(repoName))
	start := time.Now()
	// The scripted reviewer decides within milliseconds; if something
	// breaks, give up on the step (the gate cancels its request and exits
	// 5, which the checks report) rather than wait the full timeout.
	stepCtx, cancel := ctx, context.CancelFunc(func() {})
	if s.auto {
		stepCtx, cancel = context.WithTimeout(ctx, autoStepTimeout)
	}
	defer cancel()
	done := make(chan stepResult, 1)
	go func() { done <- s.w.runStep(stepCtx, sc.step, s.runID, s.out) }()

	var decided time.Time
	var res stepResult
	if sc.review != nil {
		var finished bool
		var reviewErr error
		decided, res, finished, reviewErr = s.decide(stepCtx, sc, before, done)
		if reviewErr != nil {
			cancel() // nobody else will decide: end the gate now
		}
		if !finished {
			res = <-done
		}
	} else {
		res = <-done
	}
	calls := s.w.standin.CallsSince(start)
	newRuns := len(s.w.standin.CheckRuns(repoName)) - before
	s.report(sc, res, decided)
	if !s.auto {
		return nil
	}
	return s.check(sc, res, calls, newRuns)
}

// decide waits for the step's check run, then lets the reviewer act. It
// returns early (finished) if the gate ends first.
func (s *session) decide(ctx context.Context, sc scenario, before int, done <-chan stepResult) (decided time.Time, res stepResult, finished bool, err error) {
	cr, res, finished := s.waitCheckRun(ctx, before, done)
	if finished || cr == nil {
		return time.Time{}, res, finished, nil
	}
	// Let the gate print who is asked before the reviewer's lines.
	if err := sleepCtx(ctx, 150*time.Millisecond); err != nil {
		return time.Time{}, res, false, nil
	}
	s.out.printf("    ? check run #%d %q is waiting on PR #%d; reviewer page: %s\n", cr.ID, cr.Name, prNumber, s.w.pageURL())
	if s.auto {
		at, err := sc.review.auto(ctx, s, cr.ID)
		if err != nil {
			s.out.printf("    ! the scripted reviewer failed: %v\n", err)
		}
		return at, res, false, err
	}
	s.out.printf("    ? you decide: %s\n", sc.review.hint)
	for {
		select {
		case res = <-done:
			return time.Time{}, res, true, nil
		case <-ctx.Done():
			return time.Time{}, res, false, nil
		case a, ok := <-s.answers:
			if !ok {
				s.answers = nil // stdin closed: only the page can decide now
				continue
			}
			if at, acted := s.terminalAnswer(a, cr.ID); acted {
				return at, res, false, nil
			}
		}
	}
}

// waitCheckRun polls the stand-in for the check run the App opens.
func (s *session) waitCheckRun(ctx context.Context, before int, done <-chan stepResult) (*ghstandin.CheckRun, stepResult, bool) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case res := <-done:
			return nil, res, true
		case <-ctx.Done():
			return nil, stepResult{}, false
		case <-tick.C:
			runs := s.w.standin.CheckRuns(repoName)
			if len(runs) > before && len(runs[len(runs)-1].Actions) > 0 {
				cr := runs[len(runs)-1]
				return &cr, stepResult{}, false
			}
		}
	}
}

func (s *session) terminalAnswer(a string, checkRunID int64) (time.Time, bool) {
	ids := map[string]string{"a": "approve", "m": "remember", "r": "reject"}
	id, ok := ids[strings.ToLower(strings.TrimSpace(a))]
	if !ok {
		s.out.printf("    ? type a, m or r and Enter (or use the page)\n")
		return time.Time{}, false
	}
	at := time.Now()
	s.out.printf("    > %s clicks %q on check run #%d\n", reviewer, id, checkRunID)
	if st, err := s.w.standin.ClickAction(repoName, checkRunID, id, reviewer); err != nil || st >= 300 {
		s.out.printf("    ! delivering the click failed: status %d %v\n", st, err)
		return time.Time{}, false
	}
	return at, true
}

// report prints the outcome of a step.
func (s *session) report(sc scenario, res stepResult, decided time.Time) {
	status, by := res.outputs["status"], res.outputs["approved-by"]
	line := fmt.Sprintf("    = %s", orDash(status))
	if by != "" {
		line += " by " + by
	}
	line += fmt.Sprintf("; exit %d", res.exit)
	if res.firstOut.IsZero() {
		line += "; the command did not run"
	} else {
		switch {
		case !decided.IsZero():
			line += fmt.Sprintf("; decision -> command start %s", ms(res.firstOut.Sub(decided)))
		case sc.review == nil:
			line += fmt.Sprintf("; gate start -> command start %s", ms(res.firstOut.Sub(res.began)))
		}
	}
	s.out.printf("%s\n", line)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
