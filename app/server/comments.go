package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// commentCtx is where a comment command came from.
type commentCtx struct {
	repo    ghRepo
	sender  ghUser
	at      where
	channel string
}

// onCommand runs a comment command. Bots (the App's own replies included)
// are never obeyed, so the App cannot talk to itself.
func (s *Server) onCommand(ctx context.Context, log *slog.Logger, cmd Command, c commentCtx) (string, error) {
	if s.isBot(c.sender) {
		return "ignored_bot", nil
	}
	switch cmd.Verb {
	case verbFreeze, verbUnfreeze:
		return s.onFreeze(ctx, log, cmd, c)
	case verbStatus:
		return s.onStatus(ctx, cmd, c)
	}
	id := cmd.ID
	if id == "" {
		var ok bool
		var err error
		if id, ok, err = s.onlyPending(ctx, c); err != nil || !ok {
			return "no_target", err
		}
	}
	b := ballot{repoID: c.repo.ID, voter: c.sender, approve: cmd.Verb == verbApprove,
		remember: cmd.Remember, channel: c.channel, comment: cmd.Reason, at: c.at}
	return s.castVote(ctx, log, id, b)
}

// onlyPending finds the one pending request of the PR or commit a command
// without an id refers to; with none or several it replies and returns false.
func (s *Server) onlyPending(ctx context.Context, c commentCtx) (string, bool, error) {
	// A command right after the App's comment appeared may precede the
	// request's store write (createAnnounced): an empty list waits briefly.
	var reqs []*gate.Request
	err := awaitCreate(ctx, func() (bool, error) {
		all, err := s.store.ListPending(ctx, c.repo.FullName, c.at.pr, c.at.sha)
		reqs = s.sameRepo(all, c.repo.ID)
		return len(reqs) > 0, err
	})
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("list_pending").Inc()
		return "", false, fmt.Errorf("listing pending requests: %w", err)
	}
	switch len(reqs) {
	case 0:
		s.reply(ctx, c.at, render.Reply(c.sender.Login, "there is no pending stepgate request here."))
		return "", false, nil
	case 1:
		return reqs[0].ID, true, nil
	}
	s.reply(ctx, c.at, render.List("Several requests are pending here; name one, e.g. /stepgate approve "+reqs[0].ID+":", reqs))
	return "", false, nil
}

func (s *Server) sameRepo(reqs []*gate.Request, repoID int64) []*gate.Request {
	var out []*gate.Request
	for _, r := range reqs {
		if r.RepoID == repoID && !r.ExpiredAt(s.now()) {
			out = append(out, r)
		}
	}
	return out
}

// onStatus replies with the state of one request, or of those pending here.
func (s *Server) onStatus(ctx context.Context, cmd Command, c commentCtx) (string, error) {
	if cmd.ID != "" {
		r, err := s.store.GetRequest(ctx, cmd.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && r.RepoID != c.repo.ID) {
			s.reply(ctx, c.at, render.Reply(c.sender.Login, "there is no stepgate request "+cmd.ID+" in this repository."))
			return "status", nil
		}
		if err != nil {
			return "", fmt.Errorf("reading request: %w", err)
		}
		msg := fmt.Sprintf("request %s is %s", r.ID, r.Status)
		if r.Status == gate.StatusPending {
			if p := s.view(r).Pending; len(p) > 0 {
				msg += "; still needed: " + strings.Join(p, "; ")
			}
		} else if r.FinalReason != "" {
			msg += " (" + r.FinalReason + ")"
		}
		s.reply(ctx, c.at, render.Reply(c.sender.Login, msg))
		return "status", nil
	}
	reqs, err := s.store.ListPending(ctx, c.repo.FullName, c.at.pr, c.at.sha)
	if err != nil {
		return "", fmt.Errorf("listing pending requests: %w", err)
	}
	reqs = s.sameRepo(reqs, c.repo.ID)
	if len(reqs) == 0 {
		s.reply(ctx, c.at, render.Reply(c.sender.Login, "no stepgate request is pending here."))
		return "status", nil
	}
	s.reply(ctx, c.at, render.List(fmt.Sprintf("%d pending:", len(reqs)), reqs))
	return "status", nil
}
