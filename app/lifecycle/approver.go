package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
)

// approver fetches what GitHub says about login that the request's
// requirement can ask about (security invariant 3): repository permission,
// membership of the teams the requirement names (only those), and
// CODEOWNERS ownership of the paths it names. Nothing is taken from the
// webhook payload except the login and whether the sender is a bot.
func (rd *ghReader) approver(ctx context.Context, r *gate.Request, sp *gate.Spec, login string, bot bool) (policy.Approver, error) {
	a := policy.Approver{Login: login, Bot: bot, RunActor: strings.EqualFold(login, r.Actor) || sp.Starter(login),
		PRAuthor: r.PRAuthor != "" && strings.EqualFold(login, r.PRAuthor)}
	if bot {
		return a, nil // never counts; no need to ask GitHub
	}
	perm, err := rd.permission(ctx, r.Repo, login)
	if err != nil {
		return a, fmt.Errorf("reading permission of %s: %w", login, err)
	}
	a.Permission = policy.Permission(perm)
	if sp.Require == nil {
		return a, nil
	}
	member := map[string]bool{}
	isMember := func(team string) (bool, error) {
		key := strings.ToLower(team)
		if v, ok := member[key]; ok {
			return v, nil
		}
		org, slug, ok := strings.Cut(team, "/")
		if !ok {
			return false, nil
		}
		m, err := rd.gh.TeamMember(ctx, org, slug, login)
		rd.countGitHub("team_member", err)
		if errors.Is(err, ghapi.ErrNotFound) {
			m, err = false, nil // no such team or member: not a member
		}
		if err != nil {
			return false, fmt.Errorf("reading membership of %s in %s: %w", login, team, err)
		}
		member[key] = m
		return m, nil
	}
	for _, t := range sp.Require.Teams() {
		m, err := isMember(t)
		if err != nil {
			return a, err
		}
		if m {
			a.Teams = append(a.Teams, t)
		}
	}
	owned, err := rd.ownedPaths(ctx, r, sp, login, isMember)
	if err != nil {
		return a, err
	}
	a.Owns = func(p string) bool { return owned[p] }
	return a, nil
}

// permission is login's repository permission; someone GitHub does not
// know on the repository has none.
func (rd *ghReader) permission(ctx context.Context, repo, login string) (string, error) {
	perm, err := rd.gh.Permission(ctx, repo, login)
	rd.countGitHub("permission", err)
	if errors.Is(err, ghapi.ErrNotFound) {
		return "none", nil
	}
	return perm, err
}

// ownedPaths reports, for each CODEOWNERS path the requirement names,
// whether login owns it directly or through a team.
func (rd *ghReader) ownedPaths(ctx context.Context, r *gate.Request, sp *gate.Spec, login string, isMember func(string) (bool, error)) (map[string]bool, error) {
	paths := sp.Require.CodeownersPaths()
	owned := map[string]bool{}
	if len(paths) == 0 {
		return owned, nil
	}
	rs, err := rd.loadCodeowners(ctx, r.Repo)
	if err != nil {
		return nil, fmt.Errorf("reading CODEOWNERS: %w", err)
	}
	for _, p := range paths {
		for _, o := range ownersOf(rs, p) {
			if !strings.Contains(o, "/") {
				if strings.EqualFold(o, login) {
					owned[p] = true
					break
				}
				continue
			}
			m, err := isMember(o)
			if err != nil {
				return nil, err
			}
			if m {
				owned[p] = true
				break
			}
		}
	}
	return owned, nil
}

// The facts of people who already voted on a request are cached (a
// ttlCache by factsKey), so recomputing progress after each new vote does
// not ask GitHub again about every earlier voter. The person voting now is
// always fetched fresh.

func factsKey(reqID, login string) string { return reqID + "\x00" + strings.ToLower(login) }
