package action

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// wait long-polls until the request is final. It returns false when the
// gate must stop without running (o says why). An App that stops answering
// while the gate waits is tolerated until the timeout (a restarted App
// loses no pending request); nothing runs without a decision either way.
func (g *Gate) wait(ctx context.Context, o *outcome) bool {
	deadline := o.started.Add(g.cfg.Timeout)
	g.log.group("stepgate: waiting for approval of " + o.view.ID)
	defer g.log.endGroup()
	var down error // the last failure while the App is not answering
	for {
		remaining := deadline.Sub(g.opts.Now())
		if remaining <= 0 && down != nil {
			g.fail(ctx, o, down, "waiting for the decision")
			return false
		}
		if remaining <= 0 {
			return g.timedOut(ctx, o)
		}
		asked, began := min(g.opts.PollWait, remaining), g.opts.Now()
		v, err := g.api.poll(ctx, o.view.ID, asked)
		var ue *unreachableError
		switch {
		case err != nil && ctx.Err() != nil:
			g.cancelRequest(ctx, o, "the workflow run was cancelled while waiting for approval")
			return false
		case errors.As(err, &ue):
			down = err
			g.log.warnf("the App is not answering (%v); still waiting until the timeout, nothing runs without a decision", err)
			if g.opts.Sleep(ctx, g.opts.Retry.Max) != nil {
				g.cancelRequest(ctx, o, "the workflow run was cancelled while waiting for approval")
				return false
			}
			continue
		case err != nil:
			g.fail(ctx, o, err, "waiting for the decision")
			return false
		}
		down = nil
		o.view, o.status = v, v.Status
		if v.Status.Final() {
			return true
		}
		g.log.progress(g.opts.Now().Sub(o.started), v)
		// An App that answers "pending" at once instead of holding the
		// long-poll must not be hammered: at most one round per second.
		if took := g.opts.Now().Sub(began); asked >= time.Second && took < time.Second {
			if g.opts.Sleep(ctx, time.Second-took) != nil {
				g.cancelRequest(ctx, o, "the workflow run was cancelled while waiting for approval")
				return false
			}
		}
	}
}

// timedOut: the client's own timeout passed. The App expires the request
// at the shorter of the timeout and the policy's; this side stops waiting
// regardless and cancels, so a late approval cannot start a command the
// workflow no longer waits for.
func (g *Gate) timedOut(ctx context.Context, o *outcome) bool {
	if v, err := g.api.poll(ctx, o.view.ID, 0); err == nil && v.Status.Final() {
		o.view, o.status = v, v.Status
		return true
	}
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = g.shortRetry().cancel(bg, o.view.ID, gate.CancelReport{Reason: "timed out on the runner after " + g.cfg.Timeout.String()})
	o.status, o.gateExit = gate.StatusExpired, ExitExpired
	o.failReason = "no decision within the timeout of " + g.cfg.Timeout.String() + ": " + pendingText(o.view) + ". Nothing was run"
	g.log.errorf("%s", o.failReason)
	return false
}

// cancelRequest tells the App the workflow is gone, so reviewers are not
// asked to approve a command that can no longer run.
func (g *Gate) cancelRequest(ctx context.Context, o *outcome, reason string) {
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := g.shortRetry().cancel(bg, o.view.ID, gate.CancelReport{Reason: reason}); err != nil {
		g.log.warnf("could not tell the App about the cancellation: %v", err)
	}
	o.status, o.gateExit = gate.StatusCancelled, ExitCancelled
	o.failReason = reason + ". Nothing was run"
	g.log.errorf("%s", o.failReason)
}

// shortRetry is the client for best-effort calls after the fact: a few
// quick attempts, never holding up the step for long.
func (g *Gate) shortRetry() *client {
	c := *g.api
	c.retry = RetryPolicy{Attempts: 3, Initial: 200 * time.Millisecond, Max: time.Second}
	c.reqTTL = 5 * time.Second
	return &c
}

// execute runs the approved bytes and reports how they ended.
func (g *Gate) execute(ctx context.Context, o *outcome) {
	dir, err := resolveDir(g.opts.Getenv("GITHUB_WORKSPACE"), g.cfg.WorkingDirectory)
	if err != nil {
		o.gateExit, o.failReason = ExitUsage, "cannot run: "+err.Error()
		g.log.errorf("%s", o.failReason)
		return
	}
	g.log.infof("%s by %s; running the command", o.status, approvedByText(o.view))
	res, err := runScript(ctx, execSpec{
		command: g.cfg.Command, shell: g.cfg.Shell, dir: dir,
		tempDir: scriptDir(g.opts.Getenv("RUNNER_TEMP")),
		env:     commandEnviron(g.opts.Environ()), stdin: g.opts.Stdin,
		stdout: g.opts.Stdout, stderr: g.opts.Stderr,
		grace: g.opts.KillGrace, signals: g.opts.Signals, started: g.opts.started,
	})
	if err != nil {
		o.gateExit, o.failReason = 1, "cannot run: "+err.Error()
		g.log.errorf("%s", o.failReason)
		return
	}
	o.ran, o.exitCode, o.duration = true, res.exitCode, res.duration
	if res.signaled {
		g.log.warnf("the command was interrupted (exit %d)", res.exitCode)
	}
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	report := gate.ResultReport{ExitCode: res.exitCode, DurationMS: res.duration.Milliseconds()}
	if err := g.shortRetry().report(bg, o.view.ID, report); err != nil {
		g.log.warnf("could not report the result to the App (the audit trail will miss it): %v", err)
	}
}

// scriptDir is where the script file goes: RUNNER_TEMP like GitHub's own
// steps, but inside a container action RUNNER_TEMP names a host path that
// is not mounted, so fall back to the system temp directory.
func scriptDir(runnerTemp string) string {
	if runnerTemp != "" {
		if st, err := os.Stat(runnerTemp); err == nil && st.IsDir() {
			return runnerTemp
		}
	}
	return os.TempDir()
}

func approvedByText(v gate.RequestView) string {
	if len(v.ApprovedBy) > 0 {
		return strings.Join(v.ApprovedBy, ", ")
	}
	if v.Rule != "" {
		return "policy rule " + strconv.Quote(v.Rule)
	}
	return "policy"
}

// headCommit is where reviewers look: for pull_request runs the PR's head
// commit (GITHUB_SHA is a merge commit there) and the PR's number.
func headCommit(getenv func(string) string) (sha string, pr int) {
	sha = getenv("GITHUB_SHA")
	switch getenv("GITHUB_EVENT_NAME") {
	case "pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment":
	default:
		return sha, 0
	}
	data, err := os.ReadFile(getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return sha, 0
	}
	var ev struct {
		Number      int `json:"number"`
		PullRequest struct {
			Number int `json:"number"`
			Head   struct {
				SHA string `json:"sha"`
			} `json:"head"`
		} `json:"pull_request"`
	}
	if json.Unmarshal(data, &ev) != nil {
		return sha, 0
	}
	if ev.PullRequest.Head.SHA != "" {
		sha = ev.PullRequest.Head.SHA
	}
	return sha, max(ev.PullRequest.Number, ev.Number)
}
