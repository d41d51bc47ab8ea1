package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"

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
	// noOrgPolicy remembers, per owner, until when its .github repository
	// is known to have no policy: most owners have none, and asking again on
	// every request of every repository without its own policy would cost a
	// GitHub call each time.
	noOrgPolicy map[string]time.Time
}

// noOrgPolicyTTL is how long an owner's missing org-wide policy is
// remembered: a newly added one applies within this time.
const noOrgPolicyTTL = 30 * time.Second

func newPolicyCache() *policyCache {
	return &policyCache{policies: map[string]*policy.Policy{}, codeowners: map[string]codeowners.Ruleset{}, noOrgPolicy: map[string]time.Time{}}
}

// maxCached bounds each cache; beyond it the cache starts over (policies
// change rarely, so this only matters with very many repositories).
const maxCached = 4096

// OrgPolicyRepo is the repository, in each owner's account, whose
// .github/stepgate.yml is the default for the owner's repositories that have
// none of their own (as GitHub does for community health files).
const OrgPolicyRepo = ".github"

// loadPolicy returns repo's policy, or an error wrapping errPolicyInvalid.
func (rd *ghReader) loadPolicy(ctx context.Context, repo string) (*policy.Policy, error) {
	p, _, err := rd.resolvePolicy(ctx, repo)
	return p, err
}

// resolvePolicy returns the policy that decides repo's requests and the file
// it came from ("owner/name:.github/stepgate.yml"; "" for the built-in
// default): the repository's own file on its default branch; when it has
// none, the one on the default branch of its owner's .github repository;
// when neither exists, policy.Default(). Only "not found" falls through: a
// file that does not parse, or GitHub failing to answer, is an error, so a
// broken or unreachable policy never silently becomes a looser one. The
// owner's file is a default, not a floor: a repository's own file replaces
// it entirely (both are reviewed, merged code on a default branch).
func (rd *ghReader) resolvePolicy(ctx context.Context, repo string) (*policy.Policy, string, error) {
	p, err := rd.policyFile(ctx, repo)
	if !errors.Is(err, ghapi.ErrNotFound) {
		return p, repo + ":" + PolicyPath, err
	}
	owner, _, _ := strings.Cut(repo, "/")
	if org := owner + "/" + OrgPolicyRepo; org != repo && !rd.policies.knownNoOrgPolicy(owner) {
		p, err = rd.policyFile(ctx, org)
		if !errors.Is(err, ghapi.ErrNotFound) {
			return p, org + ":" + PolicyPath, err
		}
		// Also what an App not installed on the .github repository sees.
		rd.policies.rememberNoOrgPolicy(owner)
		rd.logger(ctx).DebugContext(ctx, "no policy in the repository or its owner's .github repository; using the default", "repo", repo)
	}
	return policy.Default(), "", nil
}

func (c *policyCache) knownNoOrgPolicy(owner string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.noOrgPolicy[owner]
	return ok && time.Now().Before(until)
}

func (c *policyCache) rememberNoOrgPolicy(owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.noOrgPolicy) >= maxCached {
		clear(c.noOrgPolicy)
	}
	c.noOrgPolicy[owner] = time.Now().Add(noOrgPolicyTTL)
}

// policyFile reads and parses .github/stepgate.yml of repo's default
// branch, parsing each content once (cached by repository and blob SHA: the
// parsed policy names its file in errors).
func (rd *ghReader) policyFile(ctx context.Context, repo string) (*policy.Policy, error) {
	data, sha, err := rd.ghFile(ctx, repo, PolicyPath)
	if err != nil {
		return nil, err
	}
	key := repo + "\x00" + sha
	c := rd.policies
	c.mu.Lock()
	p, ok := c.policies[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	name := PolicyPath
	if _, n, _ := strings.Cut(repo, "/"); n == OrgPolicyRepo {
		name = repo + ":" + PolicyPath // say whose file is broken
	}
	p, err = policy.Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPolicyInvalid, err)
	}
	c.mu.Lock()
	if len(c.policies) >= maxCached {
		clear(c.policies)
	}
	c.policies[key] = p
	c.mu.Unlock()
	return p, nil
}

// loadCodeowners returns the repository's CODEOWNERS rules from the default
// branch (nil when there is none).
func (rd *ghReader) loadCodeowners(ctx context.Context, repo string) (codeowners.Ruleset, error) {
	for _, path := range codeownersPaths {
		data, sha, err := rd.ghFile(ctx, repo, path)
		if errors.Is(err, ghapi.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c := rd.policies
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
			rd.logger(ctx).WarnContext(ctx, "CODEOWNERS does not parse", "repo", repo, "path", path, "err", err)
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

func (rd *ghReader) ghFile(ctx context.Context, repo, path string) ([]byte, string, error) {
	data, sha, err := rd.gh.DefaultBranchFile(ctx, repo, path)
	rd.countGitHub("default_branch_file", err)
	if sha == "" {
		sha = "content:" + string(data) // an implementation without blob SHAs
	}
	return data, sha, err
}

func (rd *ghReader) countGitHub(op string, err error) { rd.metrics.gitHubCall(op, err) }
