package ghclient

import (
	"context"
	"fmt"
	"net/http"

	"github.com/stepgate/stepgate/app/server"
)

// PullRequest implements server.GitHub: GET /repos/{owner}/{repo}/pulls/{n}.
func (c *Client) PullRequest(ctx context.Context, repo string, number int) (server.PullRequest, error) {
	gh, owner, name, err := c.forRepo(ctx, repo)
	if err != nil {
		return server.PullRequest{}, err
	}
	pr, _, err := gh.PullRequests.Get(ctx, owner, name, number)
	if err != nil {
		c.forgetOnAuthError(repo, err)
		if apiStatus(err) == http.StatusNotFound {
			return server.PullRequest{}, fmt.Errorf("pull request %s#%d: %w", repo, number, server.ErrGitHubNotFound)
		}
		return server.PullRequest{}, fmt.Errorf("reading pull request %s#%d: %w", repo, number, mapErr(err))
	}
	return server.PullRequest{
		Number: pr.GetNumber(), State: pr.GetState(),
		HeadSHA: pr.GetHead().GetSHA(), HeadRef: pr.GetHead().GetRef(), BaseRef: pr.GetBase().GetRef(),
		Author: pr.GetUser().GetLogin(),
	}, nil
}
