package ghstandin

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// route is one GitHub API route the stand-in serves.
type route struct {
	method   string
	pattern  string // http.ServeMux path pattern
	template string // GitHub's templated path, as in the OpenAPI description
	auth     authKind
	handle   func(r *http.Request, body []byte, a auth) reply
}

func (s *Server) apiRoutes() []route {
	return append([]route{
		{"GET", "/app", "/app", authJWT, s.getApp},
		{"POST", "/app-manifests/{code}/conversions", "/app-manifests/{code}/conversions", authNone, s.convertManifest},
		{"POST", "/app/installations/{installation_id}/access_tokens", "/app/installations/{installation_id}/access_tokens", authJWT, s.createToken},
		{"GET", "/repos/{owner}/{repo}/installation", "/repos/{owner}/{repo}/installation", authJWT, s.repoInstallation},
		{"GET", "/orgs/{org}/installation", "/orgs/{org}/installation", authJWT, s.orgInstallation},
		{"GET", "/repos/{owner}/{repo}/contents/{path...}", "/repos/{owner}/{repo}/contents/{path}", authToken, s.getContent},
		{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}", "/repos/{owner}/{repo}/pulls/{pull_number}", authToken, s.getPull},
		{"GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", "/repos/{owner}/{repo}/collaborators/{username}/permission", authToken, s.getPermission},
		{"GET", "/orgs/{org}/teams/{team_slug}/memberships/{username}", "/orgs/{org}/teams/{team_slug}/memberships/{username}", authToken, s.getMembership},
		{"POST", "/repos/{owner}/{repo}/check-runs", "/repos/{owner}/{repo}/check-runs", authToken, s.createCheckRun},
		{"GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "/repos/{owner}/{repo}/check-runs/{check_run_id}", authToken, s.getCheckRun},
		{"PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "/repos/{owner}/{repo}/check-runs/{check_run_id}", authToken, s.updateCheckRun},
		{"POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", "/repos/{owner}/{repo}/issues/{issue_number}/comments", authToken, s.createIssueComment},
		{"PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", "/repos/{owner}/{repo}/issues/comments/{comment_id}", authToken, s.updateIssueComment},
		{"POST", "/repos/{owner}/{repo}/commits/{commit_sha}/comments", "/repos/{owner}/{repo}/commits/{commit_sha}/comments", authToken, s.createCommitComment},
		{"PATCH", "/repos/{owner}/{repo}/comments/{comment_id}", "/repos/{owner}/{repo}/comments/{comment_id}", authToken, s.updateCommitComment},
	}, s.actionsRoutes()...) // actions.go
}

// Routes lists the templated paths the stand-in serves (for validators
// that load only those parts of GitHub's description).
func Routes() []string {
	var s Server
	var out []string
	for _, rt := range s.apiRoutes() {
		out = append(out, rt.template)
	}
	return out
}

var notFound = errReply(http.StatusNotFound, "Not Found")

func (s *Server) getApp(*http.Request, []byte, auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return jsonReply(http.StatusOK, s.appJSON())
}

func (s *Server) createToken(r *http.Request, _ []byte, _ auth) reply {
	id, _ := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.installations[id]; !ok {
		return notFound
	}
	tok, exp := s.newToken(id)
	return jsonReply(http.StatusCreated, obj{
		"token": tok, "expires_at": exp.Format(time.RFC3339),
		"permissions": appPermissions, "repository_selection": "all",
	})
}

func (s *Server) repoInstallation(r *http.Request, _ []byte, _ auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.st.repos[r.PathValue("owner")+"/"+r.PathValue("repo")]
	if !ok || rp.Installation == 0 {
		return notFound
	}
	return jsonReply(http.StatusOK, s.installationJSON(s.st.installations[rp.Installation]))
}

func (s *Server) orgInstallation(r *http.Request, _ []byte, _ auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.st.installations {
		if in.Account == r.PathValue("org") {
			return jsonReply(http.StatusOK, s.installationJSON(in))
		}
	}
	return notFound
}

// repoFor returns the repository in the path if the token's installation
// covers it; GitHub answers 404 for repositories a token cannot see.
func (s *Server) repoFor(r *http.Request, a auth) (*repo, bool) {
	rp, ok := s.st.repos[r.PathValue("owner")+"/"+r.PathValue("repo")]
	if !ok || rp.Installation != a.installation {
		return nil, false
	}
	return rp, true
}

func (s *Server) getContent(r *http.Request, _ []byte, a auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoFor(r, a)
	if !ok {
		return notFound
	}
	branch := r.URL.Query().Get("ref")
	if branch == "" {
		branch = rp.DefaultBranch
	}
	path := strings.Trim(r.PathValue("path"), "/")
	content, ok := rp.Files[branch][path]
	if !ok {
		return notFound
	}
	etag := `"` + BlobSHA(content) + `"`
	h := http.Header{"Etag": {etag}, "Cache-Control": {"private, max-age=60, s-maxage=60"}}
	for _, m := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if strings.TrimPrefix(strings.TrimSpace(m), "W/") == etag {
			return reply{status: http.StatusNotModified, header: h}
		}
	}
	return reply{status: http.StatusOK, header: h, body: s.contentJSON(rp, path, content)}
}

// legacyPermission maps a role to the permission field's older vocabulary.
var legacyPermission = map[string]string{"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "none": "none"}

func (s *Server) getPermission(r *http.Request, _ []byte, a auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoFor(r, a)
	if !ok {
		return notFound
	}
	u, ok := s.st.users[r.PathValue("username")]
	if !ok || u.Type == "Organization" {
		return notFound
	}
	role := rp.Perms[u.Login]
	if role == "" {
		role = "none"
	}
	cj := s.userJSON(u)
	cj["role_name"] = role
	cj["permissions"] = obj{"admin": role == "admin", "maintain": role == "admin" || role == "maintain",
		"push": legacyPermission[role] == "write" || role == "admin", "triage": role != "read" && role != "none",
		"pull": role != "none"}
	return jsonReply(http.StatusOK, obj{"permission": legacyPermission[role], "role_name": role, "user": cj})
}

func (s *Server) getMembership(r *http.Request, _ []byte, a auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	org := r.PathValue("org")
	in, ok := s.st.installations[a.installation]
	if !ok || in.Account != org {
		return errReply(http.StatusForbidden, "Resource not accessible by integration")
	}
	state, ok := s.st.teams[org+"/"+r.PathValue("team_slug")][r.PathValue("username")]
	if !ok {
		return reply{status: http.StatusNotFound}
	}
	return jsonReply(http.StatusOK, obj{
		"url":  s.URL() + "/organizations/" + org + "/team/" + r.PathValue("team_slug") + "/memberships/" + r.PathValue("username"),
		"role": "member", "state": state,
	})
}

// checkRunBody is the request body of create and update.
type checkRunBody struct {
	Name        *string    `json:"name"`
	HeadSHA     *string    `json:"head_sha"`
	DetailsURL  *string    `json:"details_url"`
	ExternalID  *string    `json:"external_id"`
	Status      *string    `json:"status"`
	Conclusion  *string    `json:"conclusion"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Output      *struct {
		Title   *string `json:"title"`
		Summary *string `json:"summary"`
		Text    *string `json:"text"`
	} `json:"output"`
	Actions *[]Action `json:"actions"`
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

func validationFailed(resource, field, msg string) reply {
	return jsonReply(http.StatusUnprocessableEntity, obj{
		"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest/checks/runs",
		"errors": []any{obj{"resource": resource, "field": field, "code": "invalid", "message": msg}},
	})
}

// checkLimits enforces GitHub's documented limits on check run output and
// actions, so a client that forgets them fails here as it would on GitHub.
func checkLimits(b *checkRunBody) (string, string) {
	if b.Output != nil {
		if b.Output.Summary != nil && utf8.RuneCountInString(*b.Output.Summary) > 65535 {
			return "output.summary", "summary is too long (maximum is 65535 characters)"
		}
		if b.Output.Text != nil && utf8.RuneCountInString(*b.Output.Text) > 65535 {
			return "output.text", "text is too long (maximum is 65535 characters)"
		}
		if b.Output.Title == nil || b.Output.Summary == nil {
			return "output", "title and summary are required"
		}
	}
	if b.Actions != nil {
		if len(*b.Actions) > 3 {
			return "actions", "at most 3 actions"
		}
		for _, a := range *b.Actions {
			switch {
			case a.Label == "" || utf8.RuneCountInString(a.Label) > 20:
				return "actions.label", "label must be 1-20 characters"
			case a.Identifier == "" || utf8.RuneCountInString(a.Identifier) > 20:
				return "actions.identifier", "identifier must be 1-20 characters"
			case a.Description == "" || utf8.RuneCountInString(a.Description) > 40:
				return "actions.description", "description must be 1-40 characters"
			}
		}
	}
	if b.Status != nil && *b.Status == "completed" && b.Conclusion == nil {
		return "conclusion", "conclusion is required with status completed"
	}
	return "", ""
}

func applyCheckRun(c *CheckRun, b *checkRunBody) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, b.Name)
	set(&c.DetailsURL, b.DetailsURL)
	set(&c.ExternalID, b.ExternalID)
	set(&c.Status, b.Status)
	if b.Conclusion != nil {
		c.Conclusion, c.Status = *b.Conclusion, "completed"
		if c.CompletedAt.IsZero() {
			c.CompletedAt = time.Now().UTC()
		}
	}
	if b.CompletedAt != nil {
		c.CompletedAt = b.CompletedAt.UTC()
	}
	if b.StartedAt != nil {
		c.StartedAt = b.StartedAt.UTC()
	}
	if b.Output != nil {
		set(&c.Title, b.Output.Title)
		set(&c.Summary, b.Output.Summary)
		set(&c.Text, b.Output.Text)
	}
	if b.Actions != nil {
		c.Actions = append([]Action(nil), *b.Actions...)
	}
}

func (s *Server) createCheckRun(r *http.Request, body []byte, a auth) reply {
	var b checkRunBody
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoFor(r, a)
	if !ok {
		return notFound
	}
	if b.Name == nil || *b.Name == "" {
		return validationFailed("CheckRun", "name", "name is required")
	}
	if b.HeadSHA == nil || !shaRE.MatchString(*b.HeadSHA) {
		return validationFailed("CheckRun", "head_sha", "head_sha must be a 40-character commit SHA")
	}
	if f, msg := checkLimits(&b); f != "" {
		return validationFailed("CheckRun", f, msg)
	}
	c := &CheckRun{ID: s.st.id() + 4000000000, Repo: rp.fullName(), HeadSHA: *b.HeadSHA, Status: "queued", StartedAt: time.Now().UTC()}
	applyCheckRun(c, &b)
	s.st.checkRuns[c.ID] = c
	return jsonReply(http.StatusCreated, s.checkRunJSON(c))
}

func (s *Server) checkRunFor(r *http.Request, a auth) (*CheckRun, bool) {
	rp, ok := s.repoFor(r, a)
	if !ok {
		return nil, false
	}
	id, _ := strconv.ParseInt(r.PathValue("check_run_id"), 10, 64)
	c, ok := s.st.checkRuns[id]
	if !ok || c.Repo != rp.fullName() {
		return nil, false
	}
	return c, true
}

func (s *Server) getCheckRun(r *http.Request, _ []byte, a auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.checkRunFor(r, a)
	if !ok {
		return notFound
	}
	return jsonReply(http.StatusOK, s.checkRunJSON(c))
}

func (s *Server) updateCheckRun(r *http.Request, body []byte, a auth) reply {
	var b checkRunBody
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.checkRunFor(r, a)
	if !ok {
		return notFound
	}
	if f, msg := checkLimits(&b); f != "" {
		return validationFailed("CheckRun", f, msg)
	}
	applyCheckRun(c, &b)
	c.Updates++
	return jsonReply(http.StatusOK, s.checkRunJSON(c))
}

func commentBody(body []byte) (string, bool) {
	var b struct {
		Body *string `json:"body"`
	}
	if json.Unmarshal(body, &b) != nil || b.Body == nil || *b.Body == "" {
		return "", false
	}
	return *b.Body, utf8.RuneCountInString(*b.Body) <= 65536
}

func (s *Server) createIssueComment(r *http.Request, body []byte, a auth) reply {
	text, ok := commentBody(body)
	if !ok {
		return validationFailed("IssueComment", "body", "body is missing or too long")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoFor(r, a)
	if !ok {
		return notFound
	}
	n, _ := strconv.Atoi(r.PathValue("issue_number"))
	if _, ok := rp.Pulls[n]; !ok {
		return notFound
	}
	c := s.st.addIssueComment(rp.fullName(), n, s.botLogin(), text)
	s.echo("issue_comment", func() (map[string]any, error) { return s.IssueCommentPayload("created", c.ID, "") })
	return jsonReply(http.StatusCreated, s.issueCommentJSON(c))
}

func (st *state) addIssueComment(repo string, number int, login, body string) *Comment {
	now := time.Now().UTC()
	c := &Comment{ID: st.id() + 2000000000, Repo: repo, Number: number, Login: login, Body: body, Created: now, Updated: now}
	st.issueComments[c.ID] = c
	return c
}

func (st *state) addCommitComment(repo, sha, login, body string) *Comment {
	now := time.Now().UTC()
	c := &Comment{ID: st.id() + 3000000000, Repo: repo, CommitID: sha, Login: login, Body: body, Created: now, Updated: now}
	st.commitComments[c.ID] = c
	return c
}

func (s *Server) editComment(r *http.Request, body []byte, a auth, m map[int64]*Comment, render func(*Comment) obj) reply {
	text, ok := commentBody(body)
	if !ok {
		return validationFailed("Comment", "body", "body is missing or too long")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoFor(r, a)
	if !ok {
		return notFound
	}
	id, _ := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
	c, ok := m[id]
	if !ok || c.Repo != rp.fullName() {
		return notFound
	}
	if c.Login != s.botLogin() {
		return errReply(http.StatusForbidden, "Resource not accessible by integration")
	}
	c.Body, c.Updated = text, time.Now().UTC()
	c.Edits++
	return jsonReply(http.StatusOK, render(c))
}

func (s *Server) updateIssueComment(r *http.Request, body []byte, a auth) reply {
	return s.editComment(r, body, a, s.st.issueComments, s.issueCommentJSON)
}

func (s *Server) updateCommitComment(r *http.Request, body []byte, a auth) reply {
	return s.editComment(r, body, a, s.st.commitComments, s.commitCommentJSON)
}

func (s *Server) createCommitComment(r *http.Request, body []byte, a auth) reply {
	text, ok := commentBody(body)
	if !ok {
		return validationFailed("CommitComment", "body", "body is missing or too long")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoFor(r, a)
	if !ok {
		return notFound
	}
	sha := r.PathValue("commit_sha")
	if !shaRE.MatchString(sha) {
		return validationFailed("CommitComment", "commit_id", "No commit found for SHA: "+sha)
	}
	c := s.st.addCommitComment(rp.fullName(), sha, s.botLogin(), text)
	s.echo("commit_comment", func() (map[string]any, error) { return s.CommitCommentPayload(c.ID) })
	return jsonReply(http.StatusCreated, s.commitCommentJSON(c))
}

// echo delivers the webhook for a comment the App itself created, when
// DeliverOwnComments is on. It runs after the API answer, like GitHub's
// asynchronous deliveries; the caller holds s.mu.
func (s *Server) echo(event string, payload func() (map[string]any, error)) {
	if !s.opts.DeliverOwnComments || s.target == "" {
		return
	}
	s.async.Add(1)
	go func() {
		defer s.async.Done()
		time.Sleep(5 * time.Millisecond) // after the API response
		p, err := payload()
		if err == nil {
			_, _ = s.deliver(event, p)
		}
	}()
}
