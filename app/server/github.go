package server

import (
	"context"
	"errors"
)

// ErrGitHubNotFound is returned by GitHub implementations for a missing file,
// repository or installation (HTTP 404).
var ErrGitHubNotFound = errors.New("not found on GitHub")

// GitHub is everything the App asks of GitHub, as plain facts. The real one
// (app/ghclient) authenticates as the App's installation on repo through
// ghinstallation, retries rate limits and 5xx with backoff, and counts calls.
// Repositories are "owner/name".
type GitHub interface {
	// DefaultBranchFile returns a file from the repository's default branch
	// (never a PR head) with its blob SHA, or ErrGitHubNotFound.
	DefaultBranchFile(ctx context.Context, repo, path string) (content []byte, blobSHA string, err error)
	// Permission returns login's repository permission: "admin", "maintain",
	// "write", "triage", "read" or "none".
	Permission(ctx context.Context, repo, login string) (string, error)
	// TeamMember reports whether login is an active member of org/slug.
	TeamMember(ctx context.Context, org, slug, login string) (bool, error)

	// PullRequest reads pull request number of repo: the commit the check
	// run goes on and whose PR it is come from here, never from the body.
	PullRequest(ctx context.Context, repo string, number int) (PullRequest, error)

	CreateCheckRun(ctx context.Context, repo string, cr CheckRun) (id int64, htmlURL string, err error)
	UpdateCheckRun(ctx context.Context, repo string, id int64, cr CheckRun) error
	CreateIssueComment(ctx context.Context, repo string, number int, body string) (id int64, htmlURL string, err error)
	UpdateIssueComment(ctx context.Context, repo string, id int64, body string) error
	CreateCommitComment(ctx context.Context, repo, sha, body string) (id int64, htmlURL string, err error)
	UpdateCommitComment(ctx context.Context, repo string, id int64, body string) error

	// Job-level gates (deployment.go).

	// WorkflowRun returns the facts of a workflow run of repo.
	WorkflowRun(ctx context.Context, repo string, runID int64) (WorkflowRun, error)
	// FileSHA returns the blob SHA of a file at ref (a commit SHA), or
	// ErrGitHubNotFound when the file is not there.
	FileSHA(ctx context.Context, repo, path, ref string) (string, error)
	// ReviewDeployment answers the App's custom deployment protection rule
	// for environment in a run: state "approved" or "rejected", or "" to
	// only leave comment on the waiting deployment.
	ReviewDeployment(ctx context.Context, repo string, runID int64, environment, state, comment string) error
}

// PullRequest is what the App reads about a pull request.
type PullRequest struct {
	Number  int
	State   string // open, closed
	HeadSHA string
	HeadRef string
	BaseRef string
	Author  string // login of the PR's author (user.login)
}

// CheckRun is the part of a GitHub check run the App writes.
type CheckRun struct {
	Name       string
	HeadSHA    string // create only
	ExternalID string // the request id
	DetailsURL string
	Status     string // queued, in_progress, completed
	Conclusion string // with completed: action_required, success, failure, cancelled, timed_out, neutral
	Title      string
	Summary    string // markdown, ≤ 65535 chars
	Text       string // markdown, ≤ 65535 chars
	Actions    []CheckRunAction
}

// CheckRunAction is a button on a check run (GitHub: at most 3; label ≤ 20,
// identifier ≤ 20, description ≤ 40 characters).
type CheckRunAction struct {
	Label       string
	Description string
	Identifier  string
}
