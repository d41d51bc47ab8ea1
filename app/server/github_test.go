package server

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
)

// standinGitHub is GitHub for the in-package tests: the GitHub stand-in
// (every call checked against GitHub's OpenAPI description) behind the real
// client. Its helpers are thin words over the stand-in's own setters and
// call log, so the tests read as they did.
type standinGitHub struct {
	*ghstandin.Server
	client *ghclient.Client
}

// newStandinGitHub starts a stand-in holding repoA and repoB (and the
// owner's .github repository, where the org-wide policy lives), with the
// App installed on acme, and a client for it. The client revalidates files
// on every read (FileCacheTTL -1), so each policy read is one call, as the
// tests count them.
func newStandinGitHub(t testing.TB) *standinGitHub {
	t.Helper()
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: testSecret})
	for _, r := range []string{repoA, repoB, "acme/.github"} {
		gs.AddRepo(ghstandin.Repo{FullName: r})
	}
	g := &standinGitHub{Server: gs}
	g.client = g.newClient(t, nil)
	return g
}

// newClient is a client of its own (another replica's), edited by edit.
func (g *standinGitHub) newClient(t testing.TB, edit func(*ghclient.Config)) *ghclient.Client {
	t.Helper()
	cfg := ghclient.Config{AppID: g.AppID(), PrivateKey: g.AppPrivateKeyPEM(), APIURL: g.URL(), FileCacheTTL: -1}
	if edit != nil {
		edit(&cfg)
	}
	c, err := ghclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// setFile stores a file on the default branch; "path@ref" stores it at ref.
func (g *standinGitHub) setFile(repo, path, content string) {
	branch := ""
	if p, ref, ok := strings.Cut(path, "@"); ok {
		path, branch = p, ref
	}
	g.SetFile(repo, branch, path, content)
}

func (g *standinGitHub) setPerm(repo, login, perm string) { g.SetPermission(repo, login, perm) }

// setTeam makes login an active member of team "org/slug".
func (g *standinGitHub) setTeam(team, login string) {
	org, slug, _ := strings.Cut(team, "/")
	g.SetTeamMember(org, slug, login, "active")
}

func (g *standinGitHub) setPull(repo string, pr ghapi.PullRequest) {
	g.AddPullRequest(repo, ghstandin.PullRequest{Number: pr.Number, HeadSHA: pr.HeadSHA, HeadRef: pr.HeadRef,
		BaseRef: pr.BaseRef, Author: pr.Author})
}

// failPerm makes the next n permission reads answer 502.
func (g *standinGitHub) failPerm(n int) {
	g.InjectFault("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", n, ghstandin.ServerError(502))
}

// callCount counts API calls made with an installation token: everything
// but authentication (finding the installation, minting its token, GET
// /app), which the client caches and the tests never counted.
func (g *standinGitHub) callCount() int {
	n := 0
	for _, c := range g.Calls() {
		if c.Auth == "token" {
			n++
		}
	}
	return n
}

// callsOf counts the calls of one operation, by the stand-in's templated
// route (ops maps the names the tests use).
func (g *standinGitHub) callsOf(op string) int {
	n := 0
	for _, c := range g.Calls() {
		if opOf(c) == op {
			n++
		}
	}
	return n
}

// ops names the calls the tests count, by method and templated route.
var ops = map[string]string{
	"GET /repos/{owner}/{repo}/collaborators/{username}/permission": "permission",
	"GET /orgs/{org}/teams/{team_slug}/memberships/{username}":      "team",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}":                 "pull_request",
	"POST /repos/{owner}/{repo}/check-runs":                         "create_check_run",
	"PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}":         "update_check_run",
	"POST /repos/{owner}/{repo}/issues/{issue_number}/comments":     "create_issue_comment",
	"PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}":      "update_issue_comment",
	"POST /repos/{owner}/{repo}/commits/{commit_sha}/comments":      "create_commit_comment",
	"PATCH /repos/{owner}/{repo}/comments/{comment_id}":             "update_commit_comment",
	"GET /repos/{owner}/{repo}/actions/runs/{run_id}":               "workflow_run",
}

// opOf is the operation of a call. Contents reads are "org_file" on the
// owner's .github repository (the org-wide policy), "file_sha" at a ref
// (a file of the run's commit) and "file" otherwise (the default branch).
func opOf(c ghstandin.Call) string {
	if c.Method == "GET" && c.Route == "/repos/{owner}/{repo}/contents/{path}" {
		switch {
		case strings.Contains(c.Path, "/.github/contents/"):
			return "org_file"
		case strings.Contains(c.Path, "?ref=") || strings.Contains(c.Path, "&ref="):
			return "file_sha"
		}
		return "file"
	}
	return ops[c.Method+" "+c.Route]
}

// checkRun is check run id as the App last wrote it.
func (g *standinGitHub) checkRun(id int64) ghapi.CheckRun {
	cr, _ := g.GetCheckRun(id)
	return toCheckRun(cr)
}

// runs are all check runs, oldest first.
func (g *standinGitHub) runs() []ghapi.CheckRun {
	var out []ghapi.CheckRun
	for _, cr := range g.CheckRuns("") {
		out = append(out, toCheckRun(cr))
	}
	return out
}

func toCheckRun(cr ghstandin.CheckRun) ghapi.CheckRun {
	out := ghapi.CheckRun{Name: cr.Name, HeadSHA: cr.HeadSHA, ExternalID: cr.ExternalID, DetailsURL: cr.DetailsURL,
		Status: cr.Status, Conclusion: cr.Conclusion, Title: cr.Title, Summary: cr.Summary, Text: cr.Text}
	for _, a := range cr.Actions {
		out.Actions = append(out.Actions, ghapi.CheckRunAction{Label: a.Label, Description: a.Description, Identifier: a.Identifier})
	}
	return out
}

// comment is an issue (PR) or commit comment the App wrote.
type comment struct {
	Repo   string
	PR     int
	SHA    string
	Body   string
	Update int // edits
}

// allComments are the App's comments, oldest first: those on the pull
// requests and commits the call log shows it commented on.
func (g *standinGitHub) allComments() []comment {
	seen := map[string]bool{}
	var all []ghstandin.Comment
	for _, c := range g.Calls() {
		// /repos/{owner}/{repo}/issues/{n}/comments or …/commits/{sha}/comments
		p := strings.Split(strings.TrimPrefix(c.Path, "/"), "/")
		if c.Method != "POST" || len(p) != 6 || p[5] != "comments" || seen[c.Path] {
			continue
		}
		repo := p[1] + "/" + p[2]
		switch c.Route {
		case "/repos/{owner}/{repo}/issues/{issue_number}/comments":
			n, _ := strconv.Atoi(p[4])
			all = append(all, g.IssueComments(repo, n)...)
		case "/repos/{owner}/{repo}/commits/{commit_sha}/comments":
			all = append(all, g.CommitComments(repo, p[4])...)
		default:
			continue
		}
		seen[c.Path] = true
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	var out []comment
	for _, c := range all {
		out = append(out, comment{Repo: c.Repo, PR: c.Number, SHA: c.CommitID, Body: c.Body, Update: c.Edits})
	}
	return out
}

// callsOfRoute counts the calls to one templated route.
func (g *standinGitHub) callsOfRoute(method, route string) int {
	n := 0
	for _, c := range g.Calls() {
		if c.Method == method && c.Route == route {
			n++
		}
	}
	return n
}
