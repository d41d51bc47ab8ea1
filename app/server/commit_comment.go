package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/lifecycle"
)

// commitCommentEvent is the part of a commit_comment webhook the App reads.
type commitCommentEvent struct {
	Action  string `json:"action"`
	Comment struct {
		ID        int64      `json:"id"`
		Body      string     `json:"body"`
		CommitID  string     `json:"commit_id"`
		User      ghapi.User `json:"user"`
		CreatedAt time.Time  `json:"created_at"`
	} `json:"comment"`
	Repository ghapi.Repo `json:"repository"`
	Sender     ghapi.User `json:"sender"`
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
	cmd, ok := lifecycle.ParseCommand(e.Comment.Body)
	if !ok {
		return "ignored", nil
	}
	at := lifecycle.Conversation{Repo: e.Repository.FullName, SHA: e.Comment.CommitID}
	return s.life.OnCommand(ctx, log.With("login", e.Sender.Login), cmd, lifecycle.Comment{
		Repo: e.Repository, Sender: e.Sender, At: at, Channel: lifecycle.ChannelCommitComment,
		ID: e.Comment.ID, Written: e.Comment.CreatedAt,
	})
}
