package server

import (
	"context"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/gate"
)

// Check run button identifiers.
const (
	actionApprove  = "approve"
	actionReject   = "reject"
	actionRemember = "remember"
)

// checkRun renders r as a check run.
func (s *Server) checkRun(r *gate.Request, note string) ghapi.CheckRun {
	out := render.CheckRun(s.renderGate(r, note))
	cr := ghapi.CheckRun{
		Name:       s.cfg.CheckRunName,
		ExternalID: r.ID,
		Status:     "completed",
		Title:      out.Title,
		Summary:    out.Summary,
		Text:       out.Text,
	}
	if step := strings.TrimSpace(r.Step); step != "" {
		cr.Name = truncate(s.cfg.CheckRunName+": "+step, 100)
	}
	switch r.Status {
	case gate.StatusPending:
		cr.Conclusion = "action_required"
		cr.Actions = []ghapi.CheckRunAction{
			{Label: "Approve", Description: "Let this command run", Identifier: actionApprove},
			{Label: "Reject", Description: "Stop this command", Identifier: actionReject},
		}
		if r.RememberTTL > 0 {
			cr.Actions = append(cr.Actions, ghapi.CheckRunAction{Label: "Approve & remember",
				Description: "Approve and let it pass next time", Identifier: actionRemember})
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
func (s *Server) openOnGitHub(ctx context.Context, r *gate.Request) *gate.Request {
	upd := *r
	if !s.announce(ctx, &upd) {
		return r
	}
	if err := s.store.UpdateRequest(ctx, &upd); err != nil {
		s.metrics.storeErrors.WithLabelValues("update_request").Inc()
		s.logger(ctx).ErrorContext(ctx, "recording check run", "request_id", r.ID, "err", err)
	}
	return &upd
}

// announce opens the check run and the comment that ask for approval of
// r and sets their ids and URLs on r, without storing them. It reports
// whether the check run was opened.
func (s *Server) announce(ctx context.Context, r *gate.Request) bool {
	if r.HeadSHA == "" {
		s.logger(ctx).WarnContext(ctx, "request has no head SHA; no check run", "request_id", r.ID)
		return false
	}
	cr := s.checkRun(r, "")
	cr.HeadSHA = r.HeadSHA
	id, url, err := s.gh.CreateCheckRun(ctx, r.Repo, cr)
	s.countGitHub("create_check_run", err)
	if err != nil {
		s.logger(ctx).ErrorContext(ctx, "creating check run", "request_id", r.ID, "repo", r.Repo, "err", err)
		return false
	}
	r.CheckRunID, r.CheckRunURL = id, url
	body := s.commentBody(r)
	if r.PRNumber > 0 {
		r.CommentID, r.CommentURL, err = s.gh.CreateIssueComment(ctx, r.Repo, r.PRNumber, body)
		s.countGitHub("create_issue_comment", err)
	} else {
		r.CommentID, r.CommentURL, err = s.gh.CreateCommitComment(ctx, r.Repo, r.HeadSHA, body)
		s.countGitHub("create_commit_comment", err)
	}
	if err != nil {
		s.logger(ctx).WarnContext(ctx, "creating approval comment", "request_id", r.ID, "err", err)
	}
	return true
}

// refreshOnGitHub updates the check run and the comment to r's state.
func (s *Server) refreshOnGitHub(ctx context.Context, r *gate.Request, note string, comment bool) {
	if r.CheckRunID != 0 {
		err := s.gh.UpdateCheckRun(ctx, r.Repo, r.CheckRunID, s.checkRun(r, note))
		s.countGitHub("update_check_run", err)
		if err != nil {
			s.logger(ctx).WarnContext(ctx, "updating check run", "request_id", r.ID, "err", err)
		}
	}
	if !comment || r.CommentID == 0 {
		return
	}
	body := s.commentBody(r)
	var err error
	if r.PRNumber > 0 {
		err = s.gh.UpdateIssueComment(ctx, r.Repo, r.CommentID, body)
		s.countGitHub("update_issue_comment", err)
	} else {
		err = s.gh.UpdateCommitComment(ctx, r.Repo, r.CommentID, body)
		s.countGitHub("update_commit_comment", err)
	}
	if err != nil {
		s.logger(ctx).WarnContext(ctx, "updating comment", "request_id", r.ID, "err", err)
	}
}

// where is the conversation a comment command came from, for replies.
type where struct {
	repo string
	pr   int    // PR number, or 0
	sha  string // commit, for commit comments
}

// reply answers a comment command in the same conversation.
func (s *Server) reply(ctx context.Context, at where, body string) {
	var err error
	switch {
	case at.pr > 0:
		_, _, err = s.gh.CreateIssueComment(ctx, at.repo, at.pr, body)
		s.countGitHub("create_issue_comment", err)
	case at.sha != "":
		_, _, err = s.gh.CreateCommitComment(ctx, at.repo, at.sha, body)
		s.countGitHub("create_commit_comment", err)
	default:
		return
	}
	if err != nil {
		s.logger(ctx).WarnContext(ctx, "replying", "repo", at.repo, "err", err)
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
