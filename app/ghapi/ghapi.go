// Package ghapi is the port between the App and GitHub: the GitHub
// interface app/server and app/lifecycle call, the plain facts it returns
// (pull requests, workflow runs) and writes (check runs), and the errors
// that mean something to the App. app/ghclient implements it against the
// REST API; tests use it against the GitHub stand-in (internal/ghstandin),
// which checks every call against GitHub's OpenAPI description.
package ghapi

import (
	"context"
	"errors"
)

// ErrNotFound is returned by GitHub implementations for a missing file,
// repository or installation (HTTP 404).
var ErrNotFound = errors.New("not found on GitHub")

// GitHub is everything the App asks of GitHub, as plain facts. The real one
// (app/ghclient) authenticates as the App's installation on repo through
// ghinstallation, retries rate limits and 5xx with backoff, and counts calls.
// Repositories are "owner/name".
type GitHub interface {
	// DefaultBranchFile returns a file from the repository's default branch
	// (never a PR head) with its blob SHA, or ErrNotFound.
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

	// Job-level gates (app/server/deployment.go).

	// WorkflowRun returns the facts of a workflow run of repo.
	WorkflowRun(ctx context.Context, repo string, runID int64) (WorkflowRun, error)
	// FileSHA returns the blob SHA of a file at ref (a commit SHA), or
	// ErrNotFound when the file is not there.
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

// WorkflowRun is what GitHub says about a workflow run (GET
// /repos/{owner}/{repo}/actions/runs/{run_id}), as plain facts.
type WorkflowRun struct {
	ID         int64
	Attempt    int
	Name       string // the workflow's name
	Path       string // ".github/workflows/deploy.yml" (GitHub may add "owner/repo/" and "@ref")
	HeadSHA    string // for pull requests: the PR's head commit, not the merge commit
	HeadBranch string
	// HeadRepo is the repository the head commit comes from ("owner/name"):
	// another one for pull requests from forks.
	HeadRepo        string
	Event           string
	Actor           string
	TriggeringActor string // who started this attempt (a re-run may differ from Actor)
	PullRequests    []int  // open PRs of the same repository whose head is the run's
	HTMLURL         string
	// Referenced are the reusable workflows the run called.
	Referenced []ReferencedWorkflow
}

// ReferencedWorkflow is one reusable workflow a run called, as GitHub
// reports it: Path "owner/repo/.github/workflows/x.yml@ref" and the commit
// it was taken from.
type ReferencedWorkflow struct {
	Path string
	SHA  string
	Ref  string
}

// InstallationChecker is implemented by GitHub clients that can tell
// whether the App is installed on a repository (app/ghclient: one cached
// lookup per repository, the one its first API call needs anyway).
type InstallationChecker interface {
	// CheckInstalled returns nil, ErrNotInstalled, ErrInstallationSuspended,
	// or another error when GitHub cannot be asked.
	CheckInstalled(ctx context.Context, repo string) error
}

// Outcomes of InstallationChecker.CheckInstalled.
var (
	ErrNotInstalled          = errors.New("the App is not installed on the repository")
	ErrInstallationSuspended = errors.New("the App's installation on the repository is suspended")
)

// InstallationForgetter is implemented by GitHub clients that cache
// installation ids or tokens; the App tells them when an installation is
// removed or suspended.
type InstallationForgetter interface {
	ForgetInstallation(installationID int64)
}

// AppChecker is implemented by GitHub clients that can check the App's own
// credentials (GET /app with the App's JWT).
type AppChecker interface {
	CheckApp(ctx context.Context) error
}

// ErrAppCredentials: GitHub refused the App's id or private key (GET /app
// answered 401 or 404).
var ErrAppCredentials = errors.New("GitHub refused the App's credentials")

// User is a GitHub account as webhook payloads name it.
type User struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Type  string `json:"type"` // "User", "Bot", "Organization"
}

// Repo is a repository as webhook payloads name it.
type Repo struct {
	ID       int64  `json:"id"`
	FullName string `json:"full_name"`
}

// Installation is the App installation a webhook payload names.
type Installation struct {
	ID int64 `json:"id"`
}
