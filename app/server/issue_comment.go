package server

import (
	"context"
	"log/slog"
	"time"
)

// issueCommentEvent is the part of an issue_comment webhook the App reads.
type issueCommentEvent struct {
	Action string `json:"action"`
	Issue  struct {
		Number      int       `json:"number"`
		PullRequest *struct{} `json:"pull_request"`
	} `json:"issue"`
	Comment struct {
		ID        int64     `json:"id"`
		Body      string    `json:"body"`
		User      ghUser    `json:"user"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"comment"`
	Repository ghRepo `json:"repository"`
	Sender     ghUser `json:"sender"`
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
	cmd, ok := ParseCommand(e.Comment.Body)
	if !ok {
		return "ignored", nil
	}
	at := where{repo: e.Repository.FullName, pr: e.Issue.Number}
	return s.onCommand(ctx, log.With("login", e.Sender.Login), cmd, commentCtx{
		repo: e.Repository, sender: e.Sender, at: at, channel: channelPRComment,
		id: e.Comment.ID, written: e.Comment.CreatedAt,
	})
}
