package server

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
