package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// onFreeze handles `/stepgate freeze [reason]` and `/stepgate unfreeze`
// (security invariant 8): only repository admins; a freeze rejects every
// pending request of the repository and every new one until unfrozen.
func (l *Lifecycle) onFreeze(ctx context.Context, log *slog.Logger, cmd Command, c Comment) (string, error) {
	login, repo := c.Sender.Login, c.Repo.FullName
	perm, err := l.read.permission(ctx, repo, login)
	if err != nil {
		return "", fmt.Errorf("reading permission of %s: %w", login, err)
	}
	if perm != "admin" {
		l.trail.repo(ctx, repo, gate.EventIgnored, login, c.Channel, map[string]string{"why": "only admins can " + cmd.Verb, "command": cmd.Verb})
		l.show.reply(ctx, c.At, render.Reply(login, "only repository admins can "+cmd.Verb+" stepgate; nothing changed."))
		return "ineligible", nil
	}
	frozen := cmd.Verb == verbFreeze
	f := gate.Freeze{Repo: repo, Frozen: frozen, By: login, Reason: cmd.Reason, At: l.now().UTC()}
	if err := l.store.SetFreeze(ctx, f); err != nil {
		l.metrics.storeErrors.WithLabelValues("set_freeze").Inc()
		return "", fmt.Errorf("setting freeze: %w", err)
	}
	if !frozen {
		l.trail.repo(ctx, repo, gate.EventUnfrozen, login, c.Channel, nil)
		l.show.reply(ctx, c.At, render.Reply(login, "stepgate is unfrozen for this repository; new requests are evaluated again."))
		return "unfrozen", nil
	}
	l.trail.repo(ctx, repo, gate.EventFrozen, login, c.Channel, map[string]string{"reason": cmd.Reason})
	n, err := l.rejectPending(ctx, repo, c.Repo.ID, freezeReason(f), login)
	if err != nil {
		return "", err
	}
	log.InfoContext(ctx, "repository frozen", "repo", repo, "rejected", n)
	l.show.reply(ctx, c.At, render.Reply(login, fmt.Sprintf("stepgate is frozen for this repository: %d pending request(s) rejected, new ones will be rejected until /stepgate unfreeze.", n)))
	return "frozen", nil
}

// rejectPending rejects every pending request of a repository.
func (l *Lifecycle) rejectPending(ctx context.Context, repo string, repoID int64, reason, by string) (int, error) {
	reqs, err := l.store.ListPendingRepo(ctx, repo)
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("list_pending_repo").Inc()
		return 0, fmt.Errorf("listing pending requests: %w", err)
	}
	n := 0
	for _, r := range reqs {
		if r.RepoID != repoID {
			continue
		}
		done, err := l.finalize(ctx, r, store.Decide{Status: gate.StatusRejected, DecidedBy: []string{by}, Reason: reason}, by)
		if errors.Is(err, store.ErrConflict) {
			continue // decided meanwhile
		}
		if err != nil {
			l.metrics.storeErrors.WithLabelValues("finalize").Inc()
			return n, fmt.Errorf("rejecting %s: %w", r.ID, err)
		}
		l.finish(ctx, done, by, false)
		n++
	}
	return n, nil
}
