package manifest

// Endpoint is one GitHub REST route the App calls, with the App permission
// GitHub documents for it.
type Endpoint struct {
	Method string // GET, POST, PATCH
	Route  string // templated, as in GitHub's OpenAPI description
	// Permission and Access are what GitHub requires of an installation
	// token ("" for routes called with the App's JWT, which need none).
	// Alternatives lists other permissions GitHub accepts instead.
	Permission, Access string
	Alternatives       []string
	Why                string
}

// Endpoints are the routes the App calls, with the permission each needs
// according to GitHub's "Permissions required for GitHub Apps"
// (docs.github.com/en/rest/authentication/permissions-required-for-github-apps;
// its data: github/docs src/github-apps/data/fpt-2026-03-10/server-to-server-permissions.json).
// The manifest's permissions are exactly what these need (manifest_test.go),
// and every call the GitHub client makes must be listed here (calls_test.go).
var Endpoints = []Endpoint{
	{Method: "GET", Route: "/app", Why: "readiness: the App's credentials are valid"},
	{Method: "POST", Route: "/app/installations/{installation_id}/access_tokens", Why: "installation tokens"},
	{Method: "GET", Route: "/repos/{owner}/{repo}/installation", Why: "which installation covers a repository"},
	{Method: "GET", Route: "/orgs/{org}/installation", Why: "which installation covers an organisation (team checks)"},
	{Method: "GET", Route: "/repos/{owner}/{repo}/contents/{path}", Permission: "contents", Access: "read",
		Why: ".github/stepgate.yml and CODEOWNERS from the default branch; the org-wide policy from OWNER/.github; the workflow file at a run's commit"},
	{Method: "GET", Route: "/repos/{owner}/{repo}/collaborators/{username}/permission", Permission: "metadata", Access: "read",
		Why: "a reviewer's repository role"},
	{Method: "GET", Route: "/orgs/{org}/teams/{team_slug}/memberships/{username}", Permission: "members", Access: "read",
		Why: "is a reviewer an active member of a required team"},
	{Method: "POST", Route: "/repos/{owner}/{repo}/check-runs", Permission: "checks", Access: "write", Why: "the approval check run"},
	{Method: "GET", Route: "/repos/{owner}/{repo}/check-runs/{check_run_id}", Permission: "checks", Access: "read", Why: "re-reading a check run"},
	{Method: "PATCH", Route: "/repos/{owner}/{repo}/check-runs/{check_run_id}", Permission: "checks", Access: "write", Why: "status, summary and buttons"},
	{Method: "POST", Route: "/repos/{owner}/{repo}/issues/{issue_number}/comments", Permission: "issues", Access: "write",
		Alternatives: []string{"pull_requests"}, Why: "the approval comment on a pull request"},
	{Method: "PATCH", Route: "/repos/{owner}/{repo}/issues/comments/{comment_id}", Permission: "issues", Access: "write",
		Alternatives: []string{"pull_requests"}, Why: "updating that comment"},
	{Method: "POST", Route: "/repos/{owner}/{repo}/commits/{commit_sha}/comments", Permission: "contents", Access: "read",
		Why: "the approval comment on a commit (runs without a pull request)"},
	{Method: "PATCH", Route: "/repos/{owner}/{repo}/comments/{comment_id}", Permission: "contents", Access: "write",
		Why: "updating that commit comment: GitHub requires contents: write"},
	{Method: "GET", Route: "/repos/{owner}/{repo}/pulls/{pull_number}", Permission: "pull_requests", Access: "read",
		Why: "a pull request's head commit and author, from GitHub rather than the request body"},
	{Method: "GET", Route: "/repos/{owner}/{repo}/actions/runs/{run_id}", Permission: "actions", Access: "read",
		Why: "job-level gates: the run behind a deployment_protection_rule event"},
	{Method: "POST", Route: "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", Permission: "deployments", Access: "write",
		Why: "job-level gates: approve or reject the deployment"},
}

// EventPermissions is the permission GitHub requires before it delivers
// each event the App subscribes to (any one of those listed).
var EventPermissions = map[string][]string{
	"check_run":                  {"checks"},
	"commit_comment":             {"contents"},
	"deployment_protection_rule": {"deployments"},
	"issue_comment":              {"issues", "pull_requests"},
}
