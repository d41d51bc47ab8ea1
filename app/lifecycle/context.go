package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/gate"
)

// runContext is where a request belongs and whose it is, established from
// the verified token and from GitHub (DESIGN.md invariant 10). The body's
// own pull_request, head_sha and environment are only compared with it.
type runContext struct {
	PR       int    // 0: the run has no pull request
	HeadSHA  string // the commit the check run goes on
	PRAuthor string
	Env      string // the environment the policy is evaluated with
	EnvFrom  string // "token", "input" (job without environment: only tightens) or ""
}

// prRef matches the refs of pull_request(-review…) runs.
var prRef = regexp.MustCompile(`^refs/pull/([0-9]+)/(?:merge|head)$`)

// runContextOf works out the request's pull request, head commit and
// environment. A body field that disagrees is refused (Invalid) naming it.
func (l *Lifecycle) runContextOf(ctx context.Context, id *Identity, body *gate.CreateRequest) (runContext, error) {
	rc := runContext{HeadSHA: strings.ToLower(id.SHA)}
	if len(body.JobIndex) > 32 || len(body.Matrix) > 8192 {
		return rc, errorf(Invalid, "job_index or matrix is too long")
	}
	var err error
	if rc.Env, rc.EnvFrom, err = environmentOf(id, body); err != nil {
		return rc, err
	}
	bodyHead := strings.ToLower(body.HeadSHA)
	number := prNumber(id, body)
	if number == 0 {
		if body.PullRequest != 0 {
			return rc, errorf(Invalid, fmt.Sprintf("pull_request: this run (event %s on %s) has no pull request; the App takes the pull request from the token's ref", orNone(id.EventName), orNone(id.Ref)))
		}
		if bodyHead != "" && bodyHead != rc.HeadSHA {
			return rc, errorf(Invalid, fmt.Sprintf("head_sha: %s is not the run's commit %s (the token's sha claim)", bodyHead, orNone(rc.HeadSHA)))
		}
		return rc, nil
	}
	if body.PullRequest != 0 && body.PullRequest != number {
		return rc, errorf(Invalid, fmt.Sprintf("pull_request: this run is for pull request #%d (the token's ref %s), not #%d", number, id.Ref, body.PullRequest))
	}
	pr, err := l.runPullRequest(ctx, id, number)
	if err != nil {
		return rc, err
	}
	head := strings.ToLower(pr.HeadSHA)
	if bodyHead != "" && bodyHead != head {
		return rc, errorf(Invalid, fmt.Sprintf("head_sha: %s is not the head of pull request #%d, which GitHub says is %s (a newer push? re-run the job)", bodyHead, number, head))
	}
	rc.PR, rc.HeadSHA, rc.PRAuthor = number, head, pr.Author
	return rc, nil
}

// environmentOf is the environment the policy is evaluated with: the
// token's claim when the job declares one (the input may only repeat it),
// else the input, which can then only tighten (see decide).
func environmentOf(id *Identity, body *gate.CreateRequest) (env, from string, err error) {
	switch {
	case id.Environment != "":
		if body.Environment != "" && body.Environment != id.Environment {
			return "", "", errorf(Invalid, fmt.Sprintf("environment: the input %q does not match the job's environment %q (the token's environment claim); leave the input empty or make it match", body.Environment, id.Environment))
		}
		return id.Environment, "token", nil
	case body.Environment != "":
		return body.Environment, "input", nil
	}
	return "", "", nil
}

// prNumber is the run's pull request: from the token's ref, or for a
// pull_request_target run (whose ref is the base branch) the body's word,
// accepted only if GitHub's PR has the token's head and base
// (runPullRequest); 0 when the run has none.
func prNumber(id *Identity, body *gate.CreateRequest) int {
	if m := prRef.FindStringSubmatch(id.Ref); m != nil {
		if n, _ := strconv.Atoi(m[1]); n != 0 {
			return n
		}
	}
	if id.EventName == "pull_request_target" && body.PullRequest > 0 {
		return body.PullRequest
	}
	return 0
}

// runPullRequest reads pull request number from GitHub and checks that a
// pull_request_target run's PR is really the run's.
func (l *Lifecycle) runPullRequest(ctx context.Context, id *Identity, number int) (ghapi.PullRequest, error) {
	pr, err := l.read.pullRequest(ctx, id, number)
	if errors.Is(err, ghapi.ErrNotFound) {
		return pr, errorf(Invalid, fmt.Sprintf("pull_request: GitHub knows no pull request #%d in %s", number, id.Repo))
	}
	if err != nil {
		l.logger(ctx).WarnContext(ctx, "reading pull request", "repo", id.Repo, "number", number, "err", err)
		return pr, errorf(Unavailable, fmt.Sprintf("cannot read pull request #%d from GitHub, retry later", number))
	}
	if id.EventName == "pull_request_target" && prRef.FindStringSubmatch(id.Ref) == nil &&
		(pr.State != "open" || pr.HeadRef != id.HeadRef || pr.BaseRef != id.BaseRef) {
		return pr, errorf(Invalid, fmt.Sprintf("pull_request: #%d is not this run's pull request (GitHub says %s → %s, %s; the token says %s → %s)",
			number, pr.HeadRef, pr.BaseRef, pr.State, orNone(id.HeadRef), orNone(id.BaseRef)))
	}
	return pr, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// sameJob reports whether the token is of the job that created r: writes
// (result, cancel) are bound to the job, not only to the run, so one matrix
// leg or reusable-workflow job cannot cancel or report on another's
// request. Requests stored without these claims compare only what they have.
func sameJob(r *gate.Request, id *Identity) bool {
	switch {
	case r.CheckRunIDClaim != "" && r.CheckRunIDClaim != id.CheckRunID:
		return false
	case r.JobWorkflowRef != "" && r.JobWorkflowRef != id.JobWorkflowRef:
		return false
	case r.EnvironmentSource == "token" && r.Environment != id.Environment:
		return false
	}
	return true
}

// keyParts is the request's idempotency key (gate.RequestKey).
func keyParts(id *Identity, body *gate.CreateRequest) gate.KeyParts {
	return gate.RequestKey(gate.JobIdentity{RepoID: id.RepoID, RunID: id.RunID, RunAttempt: id.RunAttempt,
		CheckRunID: id.CheckRunID, JobWorkflowRef: id.JobWorkflowRef, JobWorkflowSHA: id.JobWorkflowSHA,
		Environment: id.Environment}, body)
}

// pullRequest reads the run's pull request from GitHub, once per commit
// the run is for: a pull_request run's sha is the merge commit, which
// changes whenever the PR's head (or base) moves, so every gated step of
// every job for that commit shares one read. A pull_request_target run's
// sha is the base branch's, so there the cache is per run.
func (rd *ghReader) pullRequest(ctx context.Context, id *Identity, number int) (ghapi.PullRequest, error) {
	key := fmt.Sprintf("%d\x00%d\x00%s", id.RepoID, number, id.SHA)
	if prRef.FindStringSubmatch(id.Ref) == nil {
		key += fmt.Sprintf("\x00run %d", id.RunID)
	}
	if pr, ok := rd.pulls.get(key, rd.now()); ok {
		return pr, nil
	}
	pr, err := rd.gh.PullRequest(ctx, id.Repo, number)
	rd.countGitHub("pull_request", err)
	if err != nil {
		return pr, err
	}
	rd.pulls.put(key, pr, rd.now())
	return pr, nil
}
