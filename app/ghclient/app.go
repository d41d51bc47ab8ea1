package ghclient

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"
)

var (
	_ ghapi.AppChecker          = (*Client)(nil)
	_ ghapi.InstallationChecker = (*Client)(nil)
)

// CheckApp asks GitHub for the App itself (GET /app, authenticated with the
// App's JWT): it proves the App id and private key belong together. A 401
// or 404 is ghapi.ErrAppCredentials, with GitHub's status in the message;
// anything else means GitHub could not be asked.
func (c *Client) CheckApp(ctx context.Context) error {
	_, _, err := c.appGH.Apps.Get(ctx, "")
	if err == nil {
		return nil
	}
	switch st := statusOf(err); st {
	case http.StatusUnauthorized, http.StatusNotFound, http.StatusForbidden:
		return fmt.Errorf("%w (GET %sapp answered HTTP %d): check that STEPGATE_GITHUB_APP_ID is the id of the App whose private key is configured, and STEPGATE_GITHUB_API_URL",
			ghapi.ErrAppCredentials, c.base.api, st)
	default:
		return fmt.Errorf("cannot reach GitHub at %s: %w", c.base.api, err)
	}
}

// CheckInstalled reports whether the App is installed on repo (and not
// suspended). The installation id is cached like forRepo's (the next call
// for repo needs it anyway), and forgotten on installation events.
func (c *Client) CheckInstalled(ctx context.Context, repo string) error {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("repository %q is not owner/name", repo)
	}
	c.mu.Lock()
	_, known := c.installations[repo]
	c.mu.Unlock()
	if known {
		return nil
	}
	inst, _, err := c.appGH.Apps.FindRepositoryInstallation(ctx, owner, name)
	if err != nil {
		if statusOf(err) == http.StatusNotFound {
			return ghapi.ErrNotInstalled
		}
		return fmt.Errorf("finding the App's installation on %s: %w", repo, err)
	}
	if inst.SuspendedAt != nil {
		return ghapi.ErrInstallationSuspended
	}
	c.mu.Lock()
	c.installations[repo] = inst.GetID()
	c.mu.Unlock()
	return nil
}
