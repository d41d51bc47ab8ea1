package server

import (
	"context"
	"log/slog"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/lifecycle"
)

// checkRunEvent is the part of a check_run webhook the App reads.
type checkRunEvent struct {
	Action   string `json:"action"`
	CheckRun struct {
		ID         int64  `json:"id"`
		ExternalID string `json:"external_id"`
		HeadSHA    string `json:"head_sha"`
	} `json:"check_run"`
	RequestedAction *struct {
		Identifier string `json:"identifier"`
	} `json:"requested_action"`
	Repository ghapi.Repo `json:"repository"`
	Sender     ghapi.User `json:"sender"`
}

// onCheckRun handles a click on one of the check run's buttons.
func (s *Server) onCheckRun(ctx context.Context, log *slog.Logger, payload []byte) (string, error) {
	var e checkRunEvent
	if err := decodePayload(payload, &e); err != nil {
		return "bad_payload", nil
	}
	if e.Action != "requested_action" || e.RequestedAction == nil {
		return "ignored", nil
	}
	id := e.CheckRun.ExternalID
	if !lifecycle.IsRequestID(id) {
		return "ignored", nil // someone else's check run
	}
	b := lifecycle.Ballot{RepoID: e.Repository.ID, Voter: e.Sender, Channel: lifecycle.ChannelCheckRun}
	switch e.RequestedAction.Identifier {
	case lifecycle.ActionApprove:
		b.Approve = true
	case lifecycle.ActionRemember:
		b.Approve, b.Remember = true, true
	case lifecycle.ActionReject:
		b.Comment = "rejected from the check run"
	default:
		return "ignored", nil
	}
	log = log.With("login", e.Sender.Login)
	return s.life.Vote(ctx, log, id, b)
}
