package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hmarr/codeowners"

	"github.com/stepgate/stepgate/gate/policy"
)

// PolicyPath is where a repository's policy lives, on its default branch.
const PolicyPath = ".github/stepgate.yml"

// codeownersPaths are where GitHub looks for CODEOWNERS, in its order.
var codeownersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// errPolicyInvalid wraps a policy file that does not parse: requests fail
// closed (rejected with the parse error as the reason), never allowed.
var errPolicyInvalid = errors.New("policy invalid")

// policyCache keeps parsed policies and CODEOWNERS files by blob SHA: the
// file is fetched on every request (the default branch may have moved) but
// parsed once per content.
type policyCache struct {
	mu         sync.Mutex
	policies   map[string]*policy.Policy
	codeowners map[string]codeowners.Ruleset
}

func newPolicyCache() *policyCache {
	return &policyCache{policies: map[string]*policy.Policy{}, codeowners: map[string]codeowners.Ruleset{}}
}

// maxCached bounds each cache; beyond it the cache starts over (policies
// change rarely, so this only matters with very many repositories).
const maxCached = 4096

// loadPolicy returns repo's policy from its default branch, the default
// policy when there is no file, or an error wrapping errPolicyInvalid.
func (s *Server) loadPolicy(ctx context.Context, repo string) (*policy.Policy, error) {
	data, sha, err := s.ghFile(ctx, repo, PolicyPath)
	if errors.Is(err, ErrGitHubNotFound) {
		return policy.Default(), nil
	}
	if err != nil {
		return nil, err
	}
	c := s.policies
	c.mu.Lock()
	p, ok := c.policies[sha]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err = policy.Parse(PolicyPath, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPolicyInvalid, err)
	}
	c.mu.Lock()
	if len(c.policies) >= maxCached {
		clear(c.policies)
	}
	c.policies[sha] = p
	c.mu.Unlock()
	return p, nil
}

// loadCodeowners returns the repository's CODEOWNERS rules from the default
// branch (nil when there is none).
func (s *Server) loadCodeowners(ctx context.Context, repo string) (codeowners.Ruleset, error) {
	for _, path := range codeownersPaths {
		data, sha, err := s.ghFile(ctx, repo, path)
		if errors.Is(err, ErrGitHubNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c := s.policies
		c.mu.Lock()
		rs, ok := c.codeowners[sha]
		c.mu.Unlock()
		if ok {
			return rs, nil
		}
		rs, err = codeowners.ParseFile(bytes.NewReader(data))
		if err != nil {
			// GitHub ignores lines it cannot parse; an unreadable file
			// routes to nobody rather than to everyone.
			s.logger(ctx).WarnContext(ctx, "CODEOWNERS does not parse", "repo", repo, "path", path, "err", err)
			rs = codeowners.Ruleset{}
		}
		c.mu.Lock()
		if len(c.codeowners) >= maxCached {
			clear(c.codeowners)
		}
		c.codeowners[sha] = rs
		c.mu.Unlock()
		return rs, nil
	}
	return nil, nil
}

// ownersOf lists the CODEOWNERS owners ("user" or "org/team", no @) of a
// path: the last matching rule wins, as on GitHub.
func ownersOf(rs codeowners.Ruleset, path string) []string {
	if rs == nil {
		return nil
	}
	rule, err := rs.Match(strings.TrimPrefix(path, "/"))
	if err != nil || rule == nil {
		return nil
	}
	var out []string
	for _, o := range rule.Owners {
		if o.Type == codeowners.UsernameOwner || o.Type == codeowners.TeamOwner {
			out = append(out, o.Value)
		}
	}
	return out
}

func (s *Server) ghFile(ctx context.Context, repo, path string) ([]byte, string, error) {
	data, sha, err := s.gh.DefaultBranchFile(ctx, repo, path)
	s.countGitHub("default_branch_file", err)
	if sha == "" {
		sha = "content:" + string(data) // an implementation without blob SHAs
	}
	return data, sha, err
}

func (s *Server) countGitHub(op string, err error) {
	outcome := "ok"
	switch {
	case errors.Is(err, ErrGitHubNotFound):
		outcome = "not_found"
	case err != nil:
		outcome = "error"
	}
	s.metrics.github.WithLabelValues(op, outcome).Inc()
}
