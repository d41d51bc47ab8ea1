package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

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
	id      int64     // the comment's id
	written time.Time // when GitHub says the comment was created
}

// onCommand runs a comment command. Bots (the App's own replies included)
// are never obeyed, so the App cannot talk to itself.
func (s *Server) onCommand(ctx context.Context, log *slog.Logger, cmd Command, c commentCtx) (string, error) {
	if s.isBot(c.sender) {
		return "ignored_bot", nil
	}
	if first, err := s.commentOnce(ctx, c); err != nil || !first {
		return "duplicate_comment", err
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
		remember: cmd.Remember, channel: c.channel, comment: cmd.Reason, at: c.at, written: c.written}
	return s.castVote(ctx, log, id, b)
}

// commentOnce reports whether this is the first time the App sees the
// comment: a comment counts once by its id (security invariant 11), so the
// same signed body delivered again under a new delivery id changes nothing.
// The mark shares the delivery records (and their retention, which outlasts
// any request's timeout).
func (s *Server) commentOnce(ctx context.Context, c commentCtx) (bool, error) {
	if c.id == 0 {
		return false, nil // GitHub always sends one; a body without is not a comment
	}
	key := fmt.Sprintf("comment:%s:%d:%d", c.channel, c.repo.ID, c.id)
	first, err := s.store.MarkDelivery(ctx, key, s.cfg.DeliveryTTL, s.now())
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("mark_delivery").Inc()
		return false, err
	}
	return first, nil
}

// commentMisplaced answers a comment vote that may not count for req: one
// written before the request was made (a replayed or old approval), or one
// on another pull request or commit than the request's own.
func (s *Server) commentMisplaced(ctx context.Context, req *gate.Request, b ballot) (string, bool, error) {
	var outcome, msg string
	switch {
	case b.at.pr != 0 && b.at.pr != req.PRNumber, b.at.pr == 0 && (b.at.sha == "" || !strings.EqualFold(b.at.sha, req.HeadSHA)):
		outcome = "wrong_target"
		msg = "request " + req.ID + " belongs to another pull request or commit; a comment counts only on the request's own. Nothing changed."
	case b.written.IsZero() || b.written.Before(req.CreatedAt.Truncate(time.Second)):
		outcome = "stale_comment"
		msg = "this comment was written before request " + req.ID + " was made, so it does not count. Comment again. Nothing changed."
	default:
		return "", false, nil
	}
	if first, err := s.once(ctx, req.ID); !first || err != nil {
		return "duplicate", true, err
	}
	s.audit(ctx, req, gate.EventIgnored, b.voter.Login, b.channel, map[string]string{"why": outcome, "approve": fmt.Sprint(b.approve)})
	s.tell(ctx, req, b, msg)
	return outcome, true, nil
}

// onlyPending finds the one pending request of the PR or commit a command
// without an id refers to; with none or several it replies and returns false.
func (s *Server) onlyPending(ctx context.Context, c commentCtx) (string, bool, error) {
	all, err := s.store.ListPending(ctx, c.repo.FullName, c.at.pr, c.at.sha)
	reqs := s.sameRepo(all, c.repo.ID)
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
