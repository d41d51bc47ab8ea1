package server

import (
	"context"
	"log/slog"
	"time"
)

// commitCommentEvent is the part of a commit_comment webhook the App reads.
type commitCommentEvent struct {
	Action  string `json:"action"`
	Comment struct {
		ID        int64     `json:"id"`
		Body      string    `json:"body"`
		CommitID  string    `json:"commit_id"`
		User      ghUser    `json:"user"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"comment"`
	Repository ghRepo `json:"repository"`
	Sender     ghUser `json:"sender"`
}

// onCommitComment handles `/stepgate …` comments on commits: the channel
// for runs without a pull request.
func (s *Server) onCommitComment(ctx context.Context, log *slog.Logger, payload []byte) (string, error) {
	var e commitCommentEvent
	if err := decodePayload(payload, &e); err != nil {
		return "bad_payload", nil
	}
	if e.Action != "created" || e.Comment.CommitID == "" {
		return "ignored", nil
	}
	cmd, ok := ParseCommand(e.Comment.Body)
	if !ok {
		return "ignored", nil
	}
	at := where{repo: e.Repository.FullName, sha: e.Comment.CommitID}
	return s.onCommand(ctx, log.With("login", e.Sender.Login), cmd, commentCtx{
		repo: e.Repository, sender: e.Sender, at: at, channel: channelCommitComment,
		id: e.Comment.ID, written: e.Comment.CreatedAt,
	})
}
