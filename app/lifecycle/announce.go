package lifecycle

import (
	"context"
	"errors"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/gate"
)

// Check run button identifiers.
const (
	ActionApprove  = "approve"
	ActionReject   = "reject"
	ActionRemember = "remember"
)

// checkRun renders r as a check run.
func (l *Lifecycle) checkRun(r *gate.Request, note string) ghapi.CheckRun {
	out := render.CheckRun(l.renderGate(r, note))
	cr := ghapi.CheckRun{
		Name:       l.cfg.CheckRunName,
		ExternalID: r.ID,
		Status:     "completed",
		Title:      out.Title,
		Summary:    out.Summary,
		Text:       out.Text,
	}
	if step := strings.TrimSpace(r.Step); step != "" {
		cr.Name = truncate(l.cfg.CheckRunName+": "+step, 100)
	}
	switch r.Status {
	case gate.StatusPending:
		cr.Conclusion = "action_required"
		cr.Actions = []ghapi.CheckRunAction{
			{Label: "Approve", Description: "Let this command run", Identifier: ActionApprove},
			{Label: "Reject", Description: "Stop this command", Identifier: ActionReject},
		}
		if r.RememberTTL > 0 {
			cr.Actions = append(cr.Actions, ghapi.CheckRunAction{Label: "Approve & remember",
				Description: "Approve and let it pass next time", Identifier: ActionRemember})
		}
	case gate.StatusApproved, gate.StatusAllowed:
		cr.Conclusion = "success"
	case gate.StatusRejected:
		cr.Conclusion = "failure"
	case gate.StatusExpired:
		cr.Conclusion = "timed_out"
	case gate.StatusCancelled:
		cr.Conclusion = "cancelled"
	}
	decorateDeployment(&cr, r) // job-level gates (deployment_render.go)
	return cr
}

// openOnGitHub opens the check run (and the PR or commit comment) of a
// stored request that has none yet, and records their ids. Failures are
// logged: the request stays pending and a repeated create retries. A
// check run whose id could not be recorded still works: its buttons name
// the request by external id; only its final update is lost.
func (l *Lifecycle) openOnGitHub(ctx context.Context, r *gate.Request) *gate.Request {
	upd := *r
	if !l.announce(ctx, &upd) {
		return r
	}
	if err := l.store.UpdateRequest(ctx, &upd); err != nil {
		l.metrics.storeErrors.WithLabelValues("update_request").Inc()
		l.logger(ctx).ErrorContext(ctx, "recording check run", "request_id", r.ID, "err", err)
	}
	return &upd
}

// announce opens the check run and the comment that ask for approval of
// r and sets their ids and URLs on r, without storing them. It reports
// whether the check run was opened.
func (l *Lifecycle) announce(ctx context.Context, r *gate.Request) bool {
	if r.HeadSHA == "" {
		l.logger(ctx).WarnContext(ctx, "request has no head SHA; no check run", "request_id", r.ID)
		return false
	}
	cr := l.checkRun(r, "")
	cr.HeadSHA = r.HeadSHA
	id, url, err := l.gh.CreateCheckRun(ctx, r.Repo, cr)
	l.countGitHub("create_check_run", err)
	if err != nil {
		l.logger(ctx).ErrorContext(ctx, "creating check run", "request_id", r.ID, "repo", r.Repo, "err", err)
		return false
	}
	r.CheckRunID, r.CheckRunURL = id, url
	r.CommentID, r.CommentURL, err = l.post(ctx, conversationOf(r), l.commentBody(r))
	if err != nil {
		l.logger(ctx).WarnContext(ctx, "creating approval comment", "request_id", r.ID, "err", err)
	}
	return true
}

// refreshOnGitHub updates the check run and the comment to r's state.
func (l *Lifecycle) refreshOnGitHub(ctx context.Context, r *gate.Request, note string, comment bool) {
	if r.CheckRunID != 0 {
		err := l.gh.UpdateCheckRun(ctx, r.Repo, r.CheckRunID, l.checkRun(r, note))
		l.countGitHub("update_check_run", err)
		if err != nil {
			l.logger(ctx).WarnContext(ctx, "updating check run", "request_id", r.ID, "err", err)
		}
	}
	if !comment || r.CommentID == 0 {
		return
	}
	if err := l.edit(ctx, conversationOf(r), r.CommentID, l.commentBody(r)); err != nil {
		l.logger(ctx).WarnContext(ctx, "updating comment", "request_id", r.ID, "err", err)
	}
}

// Conversation is where the App talks about a request: the comments of
// its pull request, or of its commit when the run has none. Comment
// commands come from one, and replies go back to it.
type Conversation struct {
	Repo string
	PR   int    // pull request number, or 0
	SHA  string // the commit, when PR is 0
}

func conversationOf(r *gate.Request) Conversation {
	return Conversation{Repo: r.Repo, PR: r.PRNumber, SHA: r.HeadSHA}
}

// post writes a new comment in c.
func (l *Lifecycle) post(ctx context.Context, c Conversation, body string) (id int64, url string, err error) {
	switch {
	case c.PR > 0:
		id, url, err = l.gh.CreateIssueComment(ctx, c.Repo, c.PR, body)
		l.countGitHub("create_issue_comment", err)
	case c.SHA != "":
		id, url, err = l.gh.CreateCommitComment(ctx, c.Repo, c.SHA, body)
		l.countGitHub("create_commit_comment", err)
	default:
		err = errors.New("no pull request or commit to comment on")
	}
	return id, url, err
}

// edit replaces the body of comment id, which the App wrote in c.
func (l *Lifecycle) edit(ctx context.Context, c Conversation, id int64, body string) error {
	var err error
	if c.PR > 0 {
		err = l.gh.UpdateIssueComment(ctx, c.Repo, id, body)
		l.countGitHub("update_issue_comment", err)
	} else {
		err = l.gh.UpdateCommitComment(ctx, c.Repo, id, body)
		l.countGitHub("update_commit_comment", err)
	}
	return err
}

// reply answers a comment command in the conversation it came from.
func (l *Lifecycle) reply(ctx context.Context, at Conversation, body string) {
	if at.PR == 0 && at.SHA == "" {
		return
	}
	if _, _, err := l.post(ctx, at, body); err != nil {
		l.logger(ctx).WarnContext(ctx, "replying", "repo", at.Repo, "err", err)
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
