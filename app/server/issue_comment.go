package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/lifecycle"
)

// issueCommentEvent is the part of an issue_comment webhook the App reads.
type issueCommentEvent struct {
	Action string `json:"action"`
	Issue  struct {
		Number      int       `json:"number"`
		PullRequest *struct{} `json:"pull_request"`
	} `json:"issue"`
	Comment struct {
		ID        int64      `json:"id"`
		Body      string     `json:"body"`
		User      ghapi.User `json:"user"`
		CreatedAt time.Time  `json:"created_at"`
	} `json:"comment"`
	Repository ghapi.Repo `json:"repository"`
	Sender     ghapi.User `json:"sender"`
}

// onIssueComment handles `/stepgate …` comments on pull requests. Only
// newly created comments count: editing an old comment into an approval
// must not approve anything (security invariant 3); and a comment counts
// once, on its own PR's requests made before it (onCommand, castVote).
func (s *Server) onIssueComment(ctx context.Context, log *slog.Logger, payload []byte) (string, error) {
	var e issueCommentEvent
	if err := decodePayload(payload, &e); err != nil {
		return "bad_payload", nil
	}
	if e.Action != "created" || e.Issue.PullRequest == nil {
		return "ignored", nil
	}
	cmd, ok := lifecycle.ParseCommand(e.Comment.Body)
	if !ok {
		return "ignored", nil
	}
	at := lifecycle.Conversation{Repo: e.Repository.FullName, PR: e.Issue.Number}
	return s.life.OnCommand(ctx, log.With("login", e.Sender.Login), cmd, lifecycle.Comment{
		Repo: e.Repository, Sender: e.Sender, At: at, Channel: lifecycle.ChannelPRComment,
		ID: e.Comment.ID, Written: e.Comment.CreatedAt,
	})
}
