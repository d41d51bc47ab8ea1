package ghclient

import (
	"context"
	"fmt"
	"net/http"

	"github.com/stepgate/stepgate/app/ghapi"
)

// PullRequest implements ghapi.GitHub: GET /repos/{owner}/{repo}/pulls/{n}.
func (c *Client) PullRequest(ctx context.Context, repo string, number int) (ghapi.PullRequest, error) {
	gh, owner, name, err := c.forRepo(ctx, repo)
	if err != nil {
		return ghapi.PullRequest{}, err
	}
	pr, _, err := gh.PullRequests.Get(ctx, owner, name, number)
	if err != nil {
		c.forgetOnAuthError(repo, err)
		if apiStatus(err) == http.StatusNotFound {
			return ghapi.PullRequest{}, fmt.Errorf("pull request %s#%d: %w", repo, number, ghapi.ErrNotFound)
		}
		return ghapi.PullRequest{}, fmt.Errorf("reading pull request %s#%d: %w", repo, number, mapErr(err))
	}
	return ghapi.PullRequest{
		Number: pr.GetNumber(), State: pr.GetState(),
		HeadSHA: pr.GetHead().GetSHA(), HeadRef: pr.GetHead().GetRef(), BaseRef: pr.GetBase().GetRef(),
		Author: pr.GetUser().GetLogin(),
	}, nil
}
