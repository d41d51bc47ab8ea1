package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// Audit event types of job-level gates.
const (
	eventDeploymentAnswered = "deployment_answered" // the review GitHub was sent
	eventDeploymentFailed   = "deployment_answer_failed"
)

// answerRetries are the waits before re-sending a review GitHub did not
// accept (the GitHub client has already retried 5xx and rate limits).
var answerRetries = []time.Duration{2 * time.Second, 10 * time.Second, time.Minute, 5 * time.Minute}

// answerDeployment tells GitHub the final decision of a deployment
// request: approved (approved or allowed) or rejected (rejected, expired,
// cancelled). finish calls it on the replica whose write decided the
// request, first thing after waking local waiters, so a decision reaches
// GitHub once and fast. Non-deployment requests are ignored.
func (l *Lifecycle) answerDeployment(ctx context.Context, r *gate.Request) {
	if r.Source != gate.SourceDeployment || !r.Status.Final() {
		return
	}
	state := "rejected"
	if r.Status.Runnable() {
		state = "approved"
	}
	comment := deploymentComment(r)
	err := l.gh.ReviewDeployment(ctx, r.Repo, r.RunID, r.Environment, state, comment)
	l.countGitHub("review_deployment", err)
	if err == nil {
		l.trail.record(ctx, r, eventDeploymentAnswered, "", "", map[string]string{"state": state, "comment": comment})
		return
	}
	l.logger(ctx).ErrorContext(ctx, "answering the deployment protection rule", "request_id", r.ID, "err", err)
	l.trail.record(ctx, r, eventDeploymentFailed, "", "", map[string]string{"state": state, "error": firstLine(err)})
	// The decision is stored; only GitHub has not heard it. Keep trying in
	// the background (a redelivered or repeated webhook also answers again).
	go l.retryAnswer(context.WithoutCancel(ctx), r, state, comment)
}

func (l *Lifecycle) retryAnswer(ctx context.Context, r *gate.Request, state, comment string) {
	for i, wait := range answerRetries {
		time.Sleep(wait)
		err := l.gh.ReviewDeployment(ctx, r.Repo, r.RunID, r.Environment, state, comment)
		l.countGitHub("review_deployment", err)
		if err == nil {
			l.trail.record(ctx, r, eventDeploymentAnswered, "", "", map[string]string{"state": state, "comment": comment, "attempt": fmt.Sprint(i + 2)})
			return
		}
		l.logger(ctx).WarnContext(ctx, "answering the deployment protection rule again", "request_id", r.ID, "attempt", i+2, "err", err)
	}
}

// noteDeploymentPending leaves a comment on the waiting deployment (a
// review without a state, which GitHub shows on the run) saying where to
// approve. It is the only GitHub call while the deployment waits, made
// once at creation.
func (l *Lifecycle) noteDeploymentPending(ctx context.Context, r *gate.Request) {
	msg := "stepgate: approval needed (rule " + r.Rule + ")"
	if r.Spec != nil && r.Spec.Require != nil {
		msg += ": " + r.Spec.Require.String()
	}
	if r.CheckRunURL != "" {
		msg += ". Approve or reject on the check run: " + r.CheckRunURL
	}
	msg += fmt.Sprintf(" (request %s, expires %s)", r.ID, r.ExpiresAt.UTC().Format(time.RFC3339))
	err := l.gh.ReviewDeployment(ctx, r.Repo, r.RunID, r.Environment, "", msg)
	l.countGitHub("review_deployment_comment", err)
	if err != nil {
		l.logger(ctx).WarnContext(ctx, "commenting on the waiting deployment", "request_id", r.ID, "err", err)
	}
}

// deploymentComment is the review comment GitHub shows on the run: the
// decision, who made it and why, and the rule.
func deploymentComment(r *gate.Request) string {
	verb := map[gate.Status]string{
		gate.StatusApproved: "approved", gate.StatusAllowed: "approved (allowed by policy)",
		gate.StatusRejected: "rejected", gate.StatusExpired: "rejected (expired)", gate.StatusCancelled: "rejected (cancelled)",
	}[r.Status]
	reason := r.FinalReason
	if reason == "" && len(r.DecidedBy) > 0 {
		reason = "decided by " + strings.Join(r.DecidedBy, ", ")
	}
	msg := "stepgate " + verb
	if reason != "" {
		msg += ": " + reason
	}
	msg += " (rule " + r.Rule + ", request " + r.ID + ")"
	if r.CheckRunURL != "" {
		msg += " " + r.CheckRunURL
	}
	return msg
}
