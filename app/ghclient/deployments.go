package ghclient

import (
	"context"
	"fmt"
	"net/http"
	neturl "net/url"
	"regexp"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/google/go-github/v60/github"
)

// The calls of job-level gates (custom deployment protection rules).
// go-github v60 has no method for the review endpoint, so all three are
// built by hand on the installation's client (its auth, retries, metrics).

// maxReviewComment bounds the review comment; GitHub documents no limit,
// so this stays well under its other text limits.
const maxReviewComment = 4000

type runUser struct {
	Login string `json:"login"`
}

type runJSON struct {
	ID              int64    `json:"id"`
	Name            *string  `json:"name"`
	Path            string   `json:"path"`
	HeadSHA         string   `json:"head_sha"`
	HeadBranch      *string  `json:"head_branch"`
	Event           string   `json:"event"`
	RunAttempt      int      `json:"run_attempt"`
	HTMLURL         string   `json:"html_url"`
	Actor           *runUser `json:"actor"`
	TriggeringActor *runUser `json:"triggering_actor"`
	HeadRepository  *struct {
		FullName string `json:"full_name"`
	} `json:"head_repository"`
	PullRequests []struct {
		Number int `json:"number"`
	} `json:"pull_requests"`
	ReferencedWorkflows []struct {
		Path string  `json:"path"`
		SHA  string  `json:"sha"`
		Ref  *string `json:"ref"`
	} `json:"referenced_workflows"`
}

// WorkflowRun implements ghapi.GitHub (Actions: read).
func (c *Client) WorkflowRun(ctx context.Context, repo string, runID int64) (ghapi.WorkflowRun, error) {
	gh, owner, name, err := c.forRepo(ctx, repo)
	if err != nil {
		return ghapi.WorkflowRun{}, err
	}
	u := fmt.Sprintf("repos/%s/%s/actions/runs/%d", neturl.PathEscape(owner), neturl.PathEscape(name), runID)
	req, err := gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return ghapi.WorkflowRun{}, err
	}
	var r runJSON
	if _, err := gh.Do(ctx, req, &r); err != nil {
		c.forgetOnAuthError(repo, err)
		return ghapi.WorkflowRun{}, fmt.Errorf("reading run %d of %s: %w", runID, repo, mapErr(err))
	}
	out := ghapi.WorkflowRun{ID: r.ID, Attempt: max(r.RunAttempt, 1), Name: deref(r.Name), Path: r.Path,
		HeadSHA: strings.ToLower(r.HeadSHA), HeadBranch: deref(r.HeadBranch), Event: r.Event, HTMLURL: r.HTMLURL}
	if r.Actor != nil {
		out.Actor = r.Actor.Login
	}
	if r.TriggeringActor != nil {
		out.TriggeringActor = r.TriggeringActor.Login
	}
	if r.HeadRepository != nil {
		out.HeadRepo = r.HeadRepository.FullName
	}
	for _, p := range r.PullRequests {
		out.PullRequests = append(out.PullRequests, p.Number)
	}
	for _, w := range r.ReferencedWorkflows {
		out.Referenced = append(out.Referenced, ghapi.ReferencedWorkflow{Path: w.Path, SHA: strings.ToLower(w.SHA), Ref: deref(w.Ref)})
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// maxBlobCache bounds the commit-file cache; past it the cache starts over.
const maxBlobCache = 20000

var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// FileSHA implements ghapi.GitHub: the contents API at ref (Contents:
// read). Only the blob SHA is used; a directory or symlink is not a file.
// At a commit SHA a file never changes, so answers (a missing file too) are
// cached for good: a command run again on the same commit costs no call.
func (c *Client) FileSHA(ctx context.Context, repo, path, ref string) (string, error) {
	path = strings.Trim(path, "/")
	key, immutable := repo+"\x00"+ref+"\x00"+path, commitSHA.MatchString(ref)
	if immutable {
		c.mu.Lock()
		blob, ok := c.blobs[key]
		c.mu.Unlock()
		switch {
		case ok && blob == "":
			return "", fmt.Errorf("reading %s at %s in %s: %w", path, ref, repo, ghapi.ErrNotFound)
		case ok:
			return blob, nil
		}
	}
	gh, owner, name, err := c.forRepo(ctx, repo)
	if err != nil {
		return "", err
	}
	u := fmt.Sprintf("repos/%s/%s/contents/%s?ref=%s", neturl.PathEscape(owner), neturl.PathEscape(name), escapePath(path), neturl.QueryEscape(ref))
	req, err := gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	var fc github.RepositoryContent
	if _, err := gh.Do(ctx, req, &fc); err != nil {
		c.forgetOnAuthError(repo, err)
		if immutable && statusOf(err) == http.StatusNotFound {
			c.storeBlob(key, "")
		}
		return "", fmt.Errorf("reading %s at %s in %s: %w", path, ref, repo, mapErr(err))
	}
	if fc.GetType() != "file" {
		if immutable {
			c.storeBlob(key, "")
		}
		return "", fmt.Errorf("reading %s at %s in %s: not a file: %w", path, ref, repo, ghapi.ErrNotFound)
	}
	if immutable {
		c.storeBlob(key, fc.GetSHA())
	}
	return fc.GetSHA(), nil
}

func (c *Client) storeBlob(key, blob string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.blobs) >= maxBlobCache {
		c.blobs = map[string]string{}
	}
	c.blobs[key] = blob
}

// ReviewDeployment implements ghapi.GitHub: POST
// /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule
// (Deployments: write), the endpoint GitHub's deployment_callback_url
// names. It is called on the configured API base, never on a URL taken
// from a payload, so the installation token goes nowhere else.
func (c *Client) ReviewDeployment(ctx context.Context, repo string, runID int64, environment, state, comment string) error {
	switch {
	case state != "" && state != "approved" && state != "rejected":
		return fmt.Errorf("review state %q: want approved, rejected or none (a comment)", state)
	case state == "" && comment == "":
		return fmt.Errorf("a review without a state needs a comment")
	}
	gh, owner, name, err := c.forRepo(ctx, repo)
	if err != nil {
		return err
	}
	u := fmt.Sprintf("repos/%s/%s/actions/runs/%d/deployment_protection_rule", neturl.PathEscape(owner), neturl.PathEscape(name), runID)
	body := struct {
		EnvironmentName string `json:"environment_name"`
		State           string `json:"state,omitempty"`
		Comment         string `json:"comment,omitempty"`
	}{environment, state, truncate(comment, maxReviewComment, truncationNotice)}
	req, err := gh.NewRequest(http.MethodPost, u, body)
	if err != nil {
		return err
	}
	if _, err := gh.Do(ctx, req, nil); err != nil {
		c.forgetOnAuthError(repo, err)
		return fmt.Errorf("answering the deployment protection rule of run %d of %s (%s): %w", runID, repo, environment, mapErr(err))
	}
	return nil
}
