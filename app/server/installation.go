package server

import (
	"context"
	"log/slog"
)

// InstallationForgetter is implemented by GitHub clients that cache
// installation ids or tokens; the App tells them when an installation is
// removed or suspended.
type InstallationForgetter interface {
	ForgetInstallation(installationID int64)
}

type installationEvent struct {
	Action       string         `json:"action"`
	Installation ghInstallation `json:"installation"`
}

// onInstallation drops cached credentials of an installation that was
// deleted, suspended or had its permissions changed.
func (s *Server) onInstallation(ctx context.Context, log *slog.Logger, payload []byte) (string, error) {
	var e installationEvent
	if err := decodePayload(payload, &e); err != nil {
		return "bad_payload", nil
	}
	switch e.Action {
	case "deleted", "suspend", "unsuspend", "new_permissions_accepted":
	default:
		return "ignored", nil
	}
	f, ok := s.gh.(InstallationForgetter)
	if !ok {
		return "ignored", nil
	}
	f.ForgetInstallation(e.Installation.ID)
	log.InfoContext(ctx, "installation forgotten", "installation_id", e.Installation.ID, "action", e.Action)
	return "installation_" + e.Action, nil
}
