package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/gate"
)

// announcer writes a request on GitHub: its check run and its PR or commit
// comment, rendered by app/render, opened, refreshed to its state, and
// answers to voters in the conversation they wrote in.
type announcer struct {
	gh           ghapi.GitHub
	checkRunName string
	webURL       string
	metrics      *metrics
	log          *slog.Logger
}

func (an *announcer) countGitHub(op string, err error) { an.metrics.gitHubCall(op, err) }

func (an *announcer) logger(ctx context.Context) *slog.Logger { return LoggerFrom(ctx, an.log) }

// Check run button identifiers.
const (
	ActionApprove  = "approve"
	ActionReject   = "reject"
	ActionRemember = "remember"
)

// checkRun renders r as a check run.
func (an *announcer) checkRun(r *gate.Request, note string) ghapi.CheckRun {
	out := render.CheckRun(an.gate(r, note))
	cr := ghapi.CheckRun{
		Name:       an.checkRunName,
		ExternalID: r.ID,
		Status:     "completed",
		Title:      out.Title,
		Summary:    out.Summary,
		Text:       out.Text,
	}
	if step := strings.TrimSpace(r.Step); step != "" {
		cr.Name = truncate(an.checkRunName+": "+step, 100)
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
	if !l.show.open(ctx, &upd) {
		return r
	}
	if err := l.store.UpdateRequest(ctx, &upd); err != nil {
		l.metrics.storeErrors.WithLabelValues("update_request").Inc()
		l.logger(ctx).ErrorContext(ctx, "recording check run", "request_id", r.ID, "err", err)
	}
	return &upd
}

// open opens the check run and the comment that ask for approval of
// r and sets their ids and URLs on r, without storing them. It reports
// whether the check run was opened.
func (an *announcer) open(ctx context.Context, r *gate.Request) bool {
	if r.HeadSHA == "" {
		an.logger(ctx).WarnContext(ctx, "request has no head SHA; no check run", "request_id", r.ID)
		return false
	}
	cr := an.checkRun(r, "")
	cr.HeadSHA = r.HeadSHA
	id, url, err := an.gh.CreateCheckRun(ctx, r.Repo, cr)
	an.countGitHub("create_check_run", err)
	if err != nil {
		an.logger(ctx).ErrorContext(ctx, "creating check run", "request_id", r.ID, "repo", r.Repo, "err", err)
		return false
	}
	r.CheckRunID, r.CheckRunURL = id, url
	r.CommentID, r.CommentURL, err = an.post(ctx, conversationOf(r), an.commentBody(r))
	if err != nil {
		an.logger(ctx).WarnContext(ctx, "creating approval comment", "request_id", r.ID, "err", err)
	}
	return true
}

// refresh updates the check run and the comment to r's state.
func (an *announcer) refresh(ctx context.Context, r *gate.Request, note string, comment bool) {
	if r.CheckRunID != 0 {
		err := an.gh.UpdateCheckRun(ctx, r.Repo, r.CheckRunID, an.checkRun(r, note))
		an.countGitHub("update_check_run", err)
		if err != nil {
			an.logger(ctx).WarnContext(ctx, "updating check run", "request_id", r.ID, "err", err)
		}
	}
	if !comment || r.CommentID == 0 {
		return
	}
	if err := an.edit(ctx, conversationOf(r), r.CommentID, an.commentBody(r)); err != nil {
		an.logger(ctx).WarnContext(ctx, "updating comment", "request_id", r.ID, "err", err)
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
func (an *announcer) post(ctx context.Context, c Conversation, body string) (id int64, url string, err error) {
	switch {
	case c.PR > 0:
		id, url, err = an.gh.CreateIssueComment(ctx, c.Repo, c.PR, body)
		an.countGitHub("create_issue_comment", err)
	case c.SHA != "":
		id, url, err = an.gh.CreateCommitComment(ctx, c.Repo, c.SHA, body)
		an.countGitHub("create_commit_comment", err)
	default:
		err = errors.New("no pull request or commit to comment on")
	}
	return id, url, err
}

// edit replaces the body of comment id, which the App wrote in c.
func (an *announcer) edit(ctx context.Context, c Conversation, id int64, body string) error {
	var err error
	if c.PR > 0 {
		err = an.gh.UpdateIssueComment(ctx, c.Repo, id, body)
		an.countGitHub("update_issue_comment", err)
	} else {
		err = an.gh.UpdateCommitComment(ctx, c.Repo, id, body)
		an.countGitHub("update_commit_comment", err)
	}
	return err
}

// reply answers a comment command in the conversation it came from.
func (an *announcer) reply(ctx context.Context, at Conversation, body string) {
	if at.PR == 0 && at.SHA == "" {
		return
	}
	if _, _, err := an.post(ctx, at, body); err != nil {
		an.logger(ctx).WarnContext(ctx, "replying", "repo", at.Repo, "err", err)
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// gate gathers what render needs about r.
func (an *announcer) gate(r *gate.Request, note string) render.Gate {
	g := render.Gate{Request: r, Note: note, Remember: r.RememberTTL > 0, WebURL: an.webURL}
	sp := r.Spec
	if sp == nil || sp.Require == nil {
		return g
	}
	g.Requirement = sp.Require.String()
	g.Users, g.Teams, g.Extra = mentionable(sp.Require, r.Approvers)
	g.Owners = sp.Owners
	g.Roles = sp.Roles()
	if r.Status == gate.StatusPending {
		g.Pending = sp.Pending(r.Votes)
	}
	return g
}

// commentBody renders the PR or commit comment of any request.
func (an *announcer) commentBody(r *gate.Request) string {
	body := render.Comment(an.gate(r, ""))
	if r.Source == gate.SourceDeployment {
		body = "### stepgate: job-level gate\n\n" + render.DeploymentSection(r, maxWorkflowFiles) + render.DeploymentWording(body)
	}
	return body
}

// tell answers the voter: a comment reply for comment commands, a note on
// the check run for button clicks.
func (an *announcer) tell(ctx context.Context, req *gate.Request, b Ballot, msg string) {
	if b.Channel != ChannelCheckRun {
		an.reply(ctx, b.At, render.Reply(b.Voter.Login, msg))
		return
	}
	if req == nil || req.CheckRunID == 0 {
		return
	}
	err := an.gh.UpdateCheckRun(ctx, req.Repo, req.CheckRunID, an.checkRun(req, "@"+b.Voter.Login+": "+msg))
	an.countGitHub("update_check_run", err)
	if err != nil {
		an.logger(ctx).WarnContext(ctx, "updating check run", "request_id", req.ID, "err", err)
	}
}
