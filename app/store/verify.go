package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// VerifyAudit checks the hash chain of repo ("" = every repository) from
// its first event and returns one *gate.ChainError per broken repository.
// The error return is for failing to read the trail at all.
//
// A chain cannot prove that its newest events were not cut off; everything
// before the newest surviving event is covered.
func VerifyAudit(ctx context.Context, s Store, repo string) ([]*gate.ChainError, error) {
	events, err := s.ListAudit(ctx, repo, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("reading audit trail: %w", err)
	}
	byRepo := map[string][]gate.AuditEvent{}
	for _, e := range events {
		byRepo[e.Repo] = append(byRepo[e.Repo], e)
	}
	repos := make([]string, 0, len(byRepo))
	for r := range byRepo {
		repos = append(repos, r)
	}
	sort.Strings(repos)
	var broken []*gate.ChainError
	for _, r := range repos {
		var ce *gate.ChainError
		if err := gate.VerifyChain(byRepo[r]); errors.As(err, &ce) {
			broken = append(broken, ce)
		} else if err != nil {
			broken = append(broken, &gate.ChainError{Repo: r, Reason: err.Error()})
		}
	}
	return broken, nil
}
