package ghstandin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Job-level gates: workflow runs, GitHub's custom deployment protection
// rule (the deployment_protection_rule webhook and the review endpoint its
// deployment_callback_url names).

// WorkflowRun configures a workflow run for AddWorkflowRun.
type WorkflowRun struct {
	ID              int64  // assigned when 0
	Repo            string // "owner/name"
	Name            string // workflow name, default "deploy"
	Path            string // default ".github/workflows/deploy.yml"
	HeadSHA         string
	HeadBranch      string // default the repository's default branch
	HeadRepo        string // default Repo (set another for a fork's PR)
	Event           string // default "push"
	Actor           string
	TriggeringActor string // default Actor
	Attempt         int    // default 1
	PullRequests    []int  // open PRs of Repo this run belongs to
	// Referenced are reusable workflows the run called: Path
	// "owner/repo/.github/workflows/x.yml@ref", SHA the commit.
	Referenced []ReferencedWorkflow
}

// ReferencedWorkflow is one entry of a run's referenced_workflows.
type ReferencedWorkflow struct {
	Path, SHA, Ref string
}

// DeploymentReview is one call of the review endpoint as received.
type DeploymentReview struct {
	Repo        string
	RunID       int64
	Environment string
	State       string // approved, rejected, or "" (a comment only)
	Comment     string
	Status      int       // what the stand-in answered
	Time        time.Time // when it arrived
}

// actionsState is the stand-in's Actions side. Guarded by Server.mu.
type actionsState struct {
	runs        map[int64]*WorkflowRun
	deployments int64
	// waiting counts jobs waiting on the App's protection rule, by
	// run id and lower-cased environment.
	waiting map[string]int
	reviews []DeploymentReview
}

func (st *state) act() *actionsState {
	if st.actions == nil {
		st.actions = &actionsState{runs: map[int64]*WorkflowRun{}, waiting: map[string]int{}, deployments: 700000}
	}
	return st.actions
}

func waitKey(runID int64, env string) string { return itoa(runID) + "\x00" + strings.ToLower(env) }

func (s *Server) actionsRoutes() []route {
	return []route{
		{"GET", "/repos/{owner}/{repo}/actions/runs/{run_id}", "/repos/{owner}/{repo}/actions/runs/{run_id}", authToken, s.getRun},
		{"POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", authToken, s.reviewDeployment},
	}
}

// AddWorkflowRun registers a run and returns its id.
func (s *Server) AddWorkflowRun(run WorkflowRun) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(run.Repo)
	if run.ID == 0 {
		run.ID = s.st.id() + 9000000
	}
	if run.Name == "" {
		run.Name = "deploy"
	}
	if run.Path == "" {
		run.Path = ".github/workflows/deploy.yml"
	}
	if run.HeadBranch == "" {
		run.HeadBranch = r.DefaultBranch
	}
	if run.HeadRepo == "" {
		run.HeadRepo = run.Repo
	}
	if run.Event == "" {
		run.Event = "push"
	}
	if run.Actor == "" {
		run.Actor = r.Owner
	}
	if run.TriggeringActor == "" {
		run.TriggeringActor = run.Actor
	}
	if run.Attempt == 0 {
		run.Attempt = 1
	}
	s.st.ensureUser(run.Actor, "")
	s.st.ensureUser(run.TriggeringActor, "")
	c := run
	s.st.act().runs[run.ID] = &c
	return run.ID
}

// DeploymentReviews returns the review calls received for repo ("" = all), oldest first.
func (s *Server) DeploymentReviews(repo string) []DeploymentReview {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DeploymentReview
	for _, r := range s.st.act().reviews {
		if repo == "" || r.Repo == repo {
			out = append(out, r)
		}
	}
	return out
}

// WaitingDeployments counts jobs of a run still waiting on the App's rule
// for environment.
func (s *Server) WaitingDeployments(runID int64, env string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.act().waiting[waitKey(runID, env)]
}

func (s *Server) runFor(r *http.Request, a auth) (*repo, *WorkflowRun, bool) {
	rp, ok := s.repoFor(r, a)
	if !ok {
		return nil, nil, false
	}
	id, _ := strconv.ParseInt(r.PathValue("run_id"), 10, 64)
	run, ok := s.st.act().runs[id]
	if !ok || run.Repo != rp.fullName() {
		return nil, nil, false
	}
	return rp, run, true
}

func (s *Server) getRun(r *http.Request, _ []byte, a auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, run, ok := s.runFor(r, a)
	if !ok {
		return notFound
	}
	return jsonReply(http.StatusOK, s.runJSON(rp, run))
}

// reviewDeployment is the review endpoint. Like GitHub it resolves every
// job of the run waiting on the App's rule for that environment; a state
// without a waiting job is refused (the stand-in's 422: GitHub documents
// no error for it), so tests see a review sent twice.
func (s *Server) reviewDeployment(r *http.Request, body []byte, a auth) reply {
	var b struct {
		EnvironmentName *string `json:"environment_name"`
		State           *string `json:"state"`
		Comment         *string `json:"comment"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, run, ok := s.runFor(r, a)
	if !ok {
		return notFound
	}
	rev := DeploymentReview{Repo: rp.fullName(), RunID: run.ID, Time: time.Now()}
	if b.EnvironmentName != nil {
		rev.Environment = *b.EnvironmentName
	}
	if b.State != nil {
		rev.State = *b.State
	}
	if b.Comment != nil {
		rev.Comment = *b.Comment
	}
	k := waitKey(run.ID, rev.Environment)
	act := s.st.act()
	var rep reply
	switch {
	case rev.Environment == "":
		rep = validationFailed("DeploymentProtectionRule", "environment_name", "environment_name is required")
	case rev.State == "" && rev.Comment == "":
		rep = validationFailed("DeploymentProtectionRule", "comment", "comment is required without a state")
	case rev.State != "" && rev.State != "approved" && rev.State != "rejected":
		rep = validationFailed("DeploymentProtectionRule", "state", "state must be approved or rejected")
	case act.waiting[k] == 0:
		rep = validationFailed("DeploymentProtectionRule", "environment_name", "No pending deployment protection rule for "+rev.Environment)
	default:
		if rev.State != "" {
			delete(act.waiting, k)
		}
		rep = reply{status: http.StatusNoContent}
	}
	rev.Status = rep.status
	act.reviews = append(act.reviews, rev)
	return rep
}

// DeploymentProtectionRulePayload builds the deployment_protection_rule
// requested payload GitHub sends when a job of run targets environment and
// the App is enabled there; it marks that job as waiting.
func (s *Server) DeploymentProtectionRulePayload(repoName string, runID int64, environment string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.repos[repoName]
	act := s.st.act()
	run, rok := act.runs[runID]
	if !ok || !rok || run.Repo != repoName {
		return nil, fmt.Errorf("run %d of %s: %w", runID, repoName, ErrUnknown)
	}
	act.waiting[waitKey(runID, environment)]++
	act.deployments++
	id := act.deployments
	api := s.URL() + "/repos/" + repoName
	now := ts(time.Now())
	dep := obj{
		"url": api + "/deployments/" + itoa(id), "id": id, "node_id": nodeID("Deployment", id),
		"sha": run.HeadSHA, "ref": run.HeadBranch, "task": "deploy", "payload": obj{},
		"original_environment": environment, "environment": environment, "description": nil,
		"creator":    s.userJSON(s.st.ensureUser(run.TriggeringActor, "")),
		"created_at": now, "updated_at": now,
		"statuses_url": api + "/deployments/" + itoa(id) + "/statuses", "repository_url": api,
	}
	prs := []any{}
	for _, n := range run.PullRequests {
		if p := r.Pulls[n]; p != nil {
			prs = append(prs, s.pullJSON(r, p))
		}
	}
	p := obj{
		"action": "requested", "environment": environment, "event": run.Event,
		"deployment_callback_url": api + "/actions/runs/" + itoa(runID) + "/deployment_protection_rule",
		"deployment":              dep, "pull_requests": prs,
	}
	p = s.envelope(p, r, s.st.ensureUser(run.TriggeringActor, ""))
	p["repository"] = s.fullRepoJSON(r)
	return p, nil
}

// RequestDeployment plays GitHub reaching a job of run that targets
// environment: it delivers deployment_protection_rule requested and
// returns the App's HTTP status.
func (s *Server) RequestDeployment(repoName string, runID int64, environment string) (int, error) {
	p, err := s.DeploymentProtectionRulePayload(repoName, runID, environment)
	if err != nil {
		return 0, err
	}
	return s.deliver("deployment_protection_rule", p)
}

func (s *Server) runJSON(r *repo, run *WorkflowRun) obj {
	api := s.URL() + "/repos/" + r.fullName()
	rid := itoa(run.ID)
	prs := []any{}
	sort.Ints(run.PullRequests)
	for _, n := range run.PullRequests {
		if p := r.Pulls[n]; p != nil {
			rj := obj{"id": r.ID, "url": api, "name": r.Name}
			prs = append(prs, obj{"id": int64(n) + r.ID*1000, "number": n, "url": api + "/pulls/" + itoa(int64(n)),
				"head": obj{"ref": p.HeadRef, "sha": p.HeadSHA, "repo": rj},
				"base": obj{"ref": p.BaseRef, "sha": strings.Repeat("b", 40), "repo": rj}})
		}
	}
	refs := []any{}
	for _, w := range run.Referenced {
		e := obj{"path": w.Path, "sha": w.SHA}
		if w.Ref != "" {
			e["ref"] = w.Ref
		}
		refs = append(refs, e)
	}
	head := r
	if hr, ok := s.st.repos[run.HeadRepo]; ok {
		head = hr
	} else if run.HeadRepo != r.fullName() {
		owner, name, _ := strings.Cut(run.HeadRepo, "/")
		head = &repo{ID: r.ID + 77, Owner: owner, Name: name, DefaultBranch: "main"}
	}
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	return obj{
		"id": run.ID, "name": run.Name, "node_id": nodeID("WorkflowRun", run.ID), "check_suite_id": run.ID + 1,
		"check_suite_node_id": nodeID("CheckSuite", run.ID+1), "head_branch": run.HeadBranch, "head_sha": run.HeadSHA,
		"path": run.Path, "run_number": run.ID % 1000, "run_attempt": run.Attempt, "referenced_workflows": refs,
		"event": run.Event, "status": "waiting", "conclusion": nil, "workflow_id": 161335,
		"url": api + "/actions/runs/" + rid, "html_url": s.web() + "/" + r.fullName() + "/actions/runs/" + rid,
		"pull_requests": prs, "created_at": ts(created), "updated_at": ts(time.Now()),
		"actor":            s.userJSON(s.st.ensureUser(run.Actor, "")),
		"triggering_actor": s.userJSON(s.st.ensureUser(run.TriggeringActor, "")),
		"run_started_at":   ts(created), "jobs_url": api + "/actions/runs/" + rid + "/jobs",
		"logs_url": api + "/actions/runs/" + rid + "/logs", "check_suite_url": api + "/check-suites/" + itoa(run.ID+1),
		"artifacts_url": api + "/actions/runs/" + rid + "/artifacts", "cancel_url": api + "/actions/runs/" + rid + "/cancel",
		"rerun_url": api + "/actions/runs/" + rid + "/rerun", "previous_attempt_url": nil,
		"workflow_url": api + "/actions/workflows/161335", "display_title": run.Name,
		"head_commit": obj{"id": run.HeadSHA, "tree_id": strings.Repeat("7", 40), "message": "deploy",
			"timestamp": ts(created), "author": obj{"name": run.Actor, "email": run.Actor + "@users.noreply.invalid"},
			"committer": obj{"name": run.Actor, "email": run.Actor + "@users.noreply.invalid"}},
		"repository": s.minimalRepoJSON(r), "head_repository": s.minimalRepoJSON(head),
	}
}

func (s *Server) minimalRepoJSON(r *repo) obj {
	o := s.fullRepoJSON(r)
	for _, k := range []string{"clone_url", "default_branch", "forks", "git_url", "has_downloads", "has_issues",
		"has_projects", "has_wiki", "has_pages", "homepage", "language", "archived", "disabled", "mirror_url",
		"open_issues", "open_issues_count", "license", "pushed_at", "size", "ssh_url", "stargazers_count",
		"svn_url", "watchers", "watchers_count", "created_at", "updated_at", "forks_count"} {
		delete(o, k)
	}
	return o
}

// fullRepoJSON is a repository object with every field GitHub's webhook
// schema requires.
func (s *Server) fullRepoJSON(r *repo) obj {
	owner := s.st.ensureUser(r.Owner, "")
	api := s.URL() + "/repos/" + r.fullName()
	web := s.web() + "/" + r.fullName()
	o := obj{
		"id": r.ID, "node_id": nodeID("Repository", r.ID), "name": r.Name, "full_name": r.fullName(),
		"private": r.Private, "owner": s.userJSON(owner), "html_url": web, "description": nil, "fork": false,
		"url": api, "default_branch": r.DefaultBranch, "homepage": nil, "language": nil, "mirror_url": nil,
		"license": nil, "archived": false, "disabled": false, "size": 1, "forks": 0, "forks_count": 0,
		"open_issues": 0, "open_issues_count": 0, "stargazers_count": 0, "watchers": 0, "watchers_count": 0,
		"has_downloads": true, "has_issues": true, "has_projects": false, "has_wiki": false, "has_pages": false,
		"visibility": map[bool]string{true: "private", false: "public"}[r.Private],
		"clone_url":  web + ".git", "git_url": "git://standin.invalid/" + r.fullName() + ".git",
		"ssh_url": "git@standin.invalid:" + r.fullName() + ".git", "svn_url": web,
		"created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z", "pushed_at": "2024-01-02T03:04:05Z",
	}
	for k, v := range map[string]string{
		"archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}", "blobs_url": "/git/blobs{/sha}",
		"branches_url": "/branches{/branch}", "collaborators_url": "/collaborators{/collaborator}",
		"comments_url": "/comments{/number}", "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
		"contents_url": "/contents/{+path}", "contributors_url": "/contributors", "deployments_url": "/deployments",
		"downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}",
		"git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks",
		"issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
		"issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
		"languages_url": "/languages", "merges_url": "/merges", "milestones_url": "/milestones{/number}",
		"notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
		"releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
		"subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
		"teams_url": "/teams", "trees_url": "/git/trees{/sha}",
	} {
		o[k] = api + v
	}
	return o
}

// pullJSON is a pull request object as webhook payloads carry it.
func (s *Server) pullJSON(r *repo, p *PullRequest) obj {
	api := s.URL() + "/repos/" + r.fullName()
	n := itoa(int64(p.Number))
	web := s.web() + "/" + r.fullName() + "/pull/" + n
	author := p.Author
	if author == "" {
		author = r.Owner
	}
	u := s.userJSON(s.st.ensureUser(author, ""))
	link := func(h string) obj { return obj{"href": h} }
	side := func(ref, sha string) obj {
		return obj{"label": r.Owner + ":" + ref, "ref": ref, "sha": sha, "repo": s.fullRepoJSON(r), "user": s.userJSON(s.st.ensureUser(r.Owner, ""))}
	}
	return obj{
		"url": api + "/pulls/" + n, "id": r.ID*1000 + int64(p.Number), "node_id": nodeID("PullRequest", r.ID*1000+int64(p.Number)),
		"html_url": web, "diff_url": web + ".diff", "patch_url": web + ".patch", "issue_url": api + "/issues/" + n,
		"commits_url": api + "/pulls/" + n + "/commits", "review_comments_url": api + "/pulls/" + n + "/comments",
		"review_comment_url": api + "/pulls/comments{/number}", "comments_url": api + "/issues/" + n + "/comments",
		"statuses_url": api + "/statuses/" + p.HeadSHA, "number": p.Number, "state": "open", "locked": false,
		"title": p.Title, "user": u, "body": nil, "labels": []any{}, "milestone": nil, "active_lock_reason": nil,
		"created_at": "2024-01-02T03:04:05Z", "updated_at": ts(time.Now()), "closed_at": nil, "merged_at": nil,
		"merge_commit_sha": nil, "assignee": nil, "assignees": []any{}, "requested_reviewers": []any{},
		"requested_teams": []any{}, "head": side(p.HeadRef, p.HeadSHA), "base": side(p.BaseRef, strings.Repeat("b", 40)),
		"_links": obj{"self": link(api + "/pulls/" + n), "html": link(web), "issue": link(api + "/issues/" + n),
			"comments": link(api + "/issues/" + n + "/comments"), "review_comments": link(api + "/pulls/" + n + "/comments"),
			"review_comment": link(api + "/pulls/comments{/number}"), "commits": link(api + "/pulls/" + n + "/commits"),
			"statuses": link(api + "/statuses/" + p.HeadSHA)},
		"author_association": "CONTRIBUTOR", "auto_merge": nil, "draft": false, "merged": false, "mergeable": nil,
		"rebaseable": nil, "mergeable_state": "unknown", "merged_by": nil, "comments": 0, "review_comments": 0,
		"maintainer_can_modify": false, "commits": 1, "additions": 1, "deletions": 0, "changed_files": 1,
	}
}
