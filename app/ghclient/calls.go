package ghclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// cachedFile is a default-branch file kept for a short TTL and revalidated
// with its ETag afterwards (a 304 costs no rate limit).
type cachedFile struct {
	content []byte
	sha     string
	etag    string
	fetched time.Time
}

// DefaultBranchFile implements ghapi.GitHub. It calls the contents API
// without a ref, which GitHub answers from the repository's default branch:
// the policy and CODEOWNERS must come from reviewed, merged code, never from
// a PR head that the requester controls. Bytes are cached per (repo, path)
// for FileCacheTTL, then revalidated with If-None-Match; parsing and
// caching by blob SHA is the server's job.
func (c *Client) DefaultBranchFile(ctx context.Context, repo, path string) ([]byte, string, error) {
	path = strings.Trim(path, "/")
	key := repo + "\x00" + path
	c.mu.Lock()
	cached, ok := c.files[key]
	c.mu.Unlock()
	if ok && c.fileTTL > 0 && time.Since(cached.fetched) < c.fileTTL {
		return cached.content, cached.sha, nil
	}
	gh, owner, name, err := c.forRepo(ctx, repo)
	if err != nil {
		return nil, "", err
	}
	u := fmt.Sprintf("repos/%s/%s/contents/%s", neturl.PathEscape(owner), neturl.PathEscape(name), escapePath(path))
	req, err := gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	if ok && cached.etag != "" {
		req.Header.Set("If-None-Match", cached.etag)
	}
	var fc github.RepositoryContent
	resp, err := gh.Do(ctx, req, &fc)
	if ok && resp != nil && resp.StatusCode == http.StatusNotModified {
		cached.fetched = time.Now()
		c.storeFile(key, cached)
		return cached.content, cached.sha, nil
	}
	if err != nil {
		c.forgetOnAuthError(repo, err)
		if statusOf(err) == http.StatusNotFound {
			c.mu.Lock()
			delete(c.files, key)
			c.mu.Unlock()
		}
		return nil, "", fmt.Errorf("reading %s from %s's default branch: %w", path, repo, mapErr(err))
	}
	if fc.GetType() != "file" {
		return nil, "", fmt.Errorf("reading %s from %s: not a file: %w", path, repo, ghapi.ErrNotFound)
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, "", fmt.Errorf("decoding %s from %s: %w", path, repo, err)
	}
	f := cachedFile{content: []byte(s), sha: fc.GetSHA(), etag: resp.Header.Get("ETag"), fetched: time.Now()}
	c.storeFile(key, f)
	return f.content, f.sha, nil
}

func (c *Client) storeFile(key string, f cachedFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[key] = f
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = neturl.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// forgetOnAuthError drops the cached installation of repo when GitHub
// refused to create its token (uninstalled, suspended): the next call looks
// the installation up again instead of failing until restart. Other errors
// (a missing file, a 404 on a comment) keep the cache.
func (c *Client) forgetOnAuthError(repo string, err error) {
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) {
		return
	}
	c.mu.Lock()
	id, ok := c.installations[repo]
	c.mu.Unlock()
	if ok {
		c.ForgetInstallation(id)
	}
}

// Permission implements ghapi.GitHub. It prefers role_name (which
// distinguishes maintain and triage) over the legacy permission field.
func (c *Client) Permission(ctx context.Context, repo, login string) (string, error) {
	gh, owner, name, err := c.forRepo(ctx, repo)
	if err != nil {
		return "", err
	}
	u := fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", neturl.PathEscape(owner), neturl.PathEscape(name), neturl.PathEscape(login))
	req, err := gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	var p struct {
		Permission string `json:"permission"`
		RoleName   string `json:"role_name"`
	}
	if _, err := gh.Do(ctx, req, &p); err != nil {
		c.forgetOnAuthError(repo, err)
		if apiStatus(err) == http.StatusNotFound {
			return "none", nil
		}
		return "", fmt.Errorf("reading %s's permission on %s: %w", login, repo, err)
	}
	switch p.RoleName {
	case "admin", "maintain", "write", "triage", "read", "none":
		return p.RoleName, nil
	}
	// Custom roles or an older GitHub: fall back to the base permission.
	switch p.Permission {
	case "admin", "write", "read", "none":
		return p.Permission, nil
	}
	return "none", nil
}

// TeamMember implements ghapi.GitHub: only an active membership counts
// (a pending invitation does not).
func (c *Client) TeamMember(ctx context.Context, org, slug, login string) (bool, error) {
	// Team membership is read with the installation on the organisation's
	// account; any repository of it would do, but the org alone is what we
	// have, so look the installation up by org.
	gh, err := c.forOrg(ctx, org)
	if err != nil {
		return false, err
	}
	m, _, err := gh.Teams.GetTeamMembershipBySlug(ctx, org, slug, login)
	if err != nil {
		if apiStatus(err) == http.StatusNotFound {
			return false, nil
		}
		return false, fmt.Errorf("reading %s's membership of %s/%s: %w", login, org, slug, err)
	}
	return m.GetState() == "active", nil
}

// forOrg returns the client of the installation on org's account.
func (c *Client) forOrg(ctx context.Context, org string) (*github.Client, error) {
	key := "org:" + org
	c.mu.Lock()
	id, ok := c.installations[key]
	c.mu.Unlock()
	if !ok {
		inst, _, err := c.appGH.Apps.FindOrganizationInstallation(ctx, org)
		if err != nil {
			return nil, fmt.Errorf("finding the App's installation on %s: %w", org, mapErr(err))
		}
		id = inst.GetID()
		c.mu.Lock()
		c.installations[key] = id
		c.mu.Unlock()
	}
	return c.forInstallation(id)
}
