package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
)

// admitRepo refuses a create from a repository whose owner is not allowed
// (STEPGATE_ALLOWED_OWNERS) or where the App is not installed, with a
// message the gate prints as it is. Without the check, such a request
// would wait for a check run that can never be opened until it expired.
func (s *Server) admitRepo(ctx context.Context, id *lifecycle.Identity) error {
	owner, _, _ := strings.Cut(id.Repo, "/")
	if len(s.cfg.AllowedOwners) > 0 && !slices.ContainsFunc(s.cfg.AllowedOwners, func(o string) bool { return strings.EqualFold(o, owner) }) {
		return &apiError{code: http.StatusForbidden, errCode: gate.ErrorCodeOwnerNotAllowed,
			msg: fmt.Sprintf("%s is not an allowed owner of this stepgate App (STEPGATE_ALLOWED_OWNERS)", owner)}
	}
	ic, ok := s.gh.(ghapi.InstallationChecker)
	if !ok {
		return nil
	}
	switch err := ic.CheckInstalled(ctx, id.Repo); {
	case err == nil:
		return nil
	case errors.Is(err, ghapi.ErrNotInstalled):
		return &apiError{code: http.StatusForbidden, errCode: gate.ErrorCodeNotInstalled,
			msg: fmt.Sprintf("the stepgate App is not installed on %s", id.Repo)}
	case errors.Is(err, ghapi.ErrInstallationSuspended):
		return &apiError{code: http.StatusForbidden, errCode: gate.ErrorCodeNotInstalled,
			msg: fmt.Sprintf("the stepgate App's installation on %s is suspended", id.Repo)}
	default:
		s.life.CountGitHub("check_installed", errors.New("failed"))
		lifecycle.LoggerFrom(ctx, s.log).WarnContext(ctx, "looking up the App's installation", "repo", id.Repo, "err", err)
		return errorf(http.StatusServiceUnavailable, "the App cannot reach GitHub to look up its installation on "+id.Repo+", retry later")
	}
}

type installationEvent struct {
	Action       string             `json:"action"`
	Installation ghapi.Installation `json:"installation"`
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
	f, ok := s.gh.(ghapi.InstallationForgetter)
	if !ok {
		return "ignored", nil
	}
	f.ForgetInstallation(e.Installation.ID)
	log.InfoContext(ctx, "installation forgotten", "installation_id", e.Installation.ID, "action", e.Action)
	return "installation_" + e.Action, nil
}
