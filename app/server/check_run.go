package server

import (
	"context"
	"log/slog"
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
	Repository ghRepo `json:"repository"`
	Sender     ghUser `json:"sender"`
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
	if !requestIDRE.MatchString(id) {
		return "ignored", nil // someone else's check run
	}
	b := ballot{repoID: e.Repository.ID, voter: e.Sender, channel: channelCheckRun}
	switch e.RequestedAction.Identifier {
	case actionApprove:
		b.approve = true
	case actionRemember:
		b.approve, b.remember = true, true
	case actionReject:
		b.comment = "rejected from the check run"
	default:
		return "ignored", nil
	}
	log = log.With("login", e.Sender.Login)
	return s.castVote(ctx, log, id, b)
}
