package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// Comment is where a `/stepgate …` comment command came from, as the
// signed webhook says.
type Comment struct {
	Repo    ghapi.Repo
	Sender  ghapi.User
	At      Conversation
	Channel string    // ChannelPRComment or ChannelCommitComment
	ID      int64     // the comment's id
	Written time.Time // when GitHub says the comment was created
}

// OnCommand runs a `/stepgate …` comment command (parsed by ParseCommand):
// approve, reject, freeze, unfreeze or status. Bots (the App's own replies included)
// are never obeyed, so the App cannot talk to itself.
func (l *Lifecycle) OnCommand(ctx context.Context, log *slog.Logger, cmd Command, c Comment) (string, error) {
	if l.isBot(c.Sender) {
		return "ignored_bot", nil
	}
	if first, err := l.commentOnce(ctx, c); err != nil || !first {
		return "duplicate_comment", err
	}
	switch cmd.Verb {
	case verbFreeze, verbUnfreeze:
		return l.onFreeze(ctx, log, cmd, c)
	case verbStatus:
		return l.onStatus(ctx, cmd, c)
	}
	id := cmd.ID
	if id == "" {
		var ok bool
		var err error
		if id, ok, err = l.onlyPending(ctx, c); err != nil || !ok {
			return "no_target", err
		}
	}
	b := Ballot{RepoID: c.Repo.ID, Voter: c.Sender, Approve: cmd.Verb == verbApprove,
		Remember: cmd.Remember, Channel: c.Channel, Comment: cmd.Reason, At: c.At, Written: c.Written}
	return l.Vote(ctx, log, id, b)
}

// commentOnce reports whether this is the first time the App sees the
// comment: a comment counts once by its id (security invariant 11), so the
// same signed body delivered again under a new delivery id changes nothing.
// The mark shares the delivery records (and their retention, which outlasts
// any request's timeout).
func (l *Lifecycle) commentOnce(ctx context.Context, c Comment) (bool, error) {
	if c.ID == 0 {
		return false, nil // GitHub always sends one; a body without is not a comment
	}
	key := fmt.Sprintf("comment:%s:%d:%d", c.Channel, c.Repo.ID, c.ID)
	first, err := l.store.MarkDelivery(ctx, key, l.cfg.DeliveryTTL, l.now())
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("mark_delivery").Inc()
		return false, err
	}
	return first, nil
}

// onlyPending finds the one pending request of the PR or commit a command
// without an id refers to; with none or several it replies and returns false.
func (l *Lifecycle) onlyPending(ctx context.Context, c Comment) (string, bool, error) {
	all, err := l.store.ListPending(ctx, c.Repo.FullName, c.At.PR, c.At.SHA)
	reqs := l.sameRepo(all, c.Repo.ID)
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("list_pending").Inc()
		return "", false, fmt.Errorf("listing pending requests: %w", err)
	}
	switch len(reqs) {
	case 0:
		l.show.reply(ctx, c.At, render.Reply(c.Sender.Login, "there is no pending stepgate request here."))
		return "", false, nil
	case 1:
		return reqs[0].ID, true, nil
	}
	l.show.reply(ctx, c.At, render.List("Several requests are pending here; name one, e.g. /stepgate approve "+reqs[0].ID+":", reqs))
	return "", false, nil
}

func (l *Lifecycle) sameRepo(reqs []*gate.Request, repoID int64) []*gate.Request {
	var out []*gate.Request
	for _, r := range reqs {
		if r.RepoID == repoID && !r.ExpiredAt(l.now()) {
			out = append(out, r)
		}
	}
	return out
}

// onStatus replies with the state of one request, or of those pending here.
func (l *Lifecycle) onStatus(ctx context.Context, cmd Command, c Comment) (string, error) {
	if cmd.ID != "" {
		r, err := l.store.GetRequest(ctx, cmd.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && r.RepoID != c.Repo.ID) {
			l.show.reply(ctx, c.At, render.Reply(c.Sender.Login, "there is no stepgate request "+cmd.ID+" in this repository."))
			return "status", nil
		}
		if err != nil {
			return "", fmt.Errorf("reading request: %w", err)
		}
		msg := fmt.Sprintf("request %s is %s", r.ID, r.Status)
		if r.Status == gate.StatusPending {
			if p := l.View(r).Pending; len(p) > 0 {
				msg += "; still needed: " + strings.Join(p, "; ")
			}
		} else if r.FinalReason != "" {
			msg += " (" + r.FinalReason + ")"
		}
		l.show.reply(ctx, c.At, render.Reply(c.Sender.Login, msg))
		return "status", nil
	}
	reqs, err := l.store.ListPending(ctx, c.Repo.FullName, c.At.PR, c.At.SHA)
	if err != nil {
		return "", fmt.Errorf("listing pending requests: %w", err)
	}
	reqs = l.sameRepo(reqs, c.Repo.ID)
	if len(reqs) == 0 {
		l.show.reply(ctx, c.At, render.Reply(c.Sender.Login, "no stepgate request is pending here."))
		return "status", nil
	}
	l.show.reply(ctx, c.At, render.List(fmt.Sprintf("%d pending:", len(reqs)), reqs))
	return "status", nil
}
