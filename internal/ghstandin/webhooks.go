package ghstandin

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Sign returns GitHub's X-Hub-Signature-256 value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// SendWebhook delivers payload to target as GitHub does: JSON body,
// X-GitHub-Event, a fresh X-GitHub-Delivery, X-GitHub-Hook-ID and
// X-Hub-Signature-256 with the configured secret. The caller closes the
// response body.
func (s *Server) SendWebhook(ctx context.Context, target, event string, payload any) (*http.Response, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encoding %s payload: %w", event, err)
	}
	return s.SendRawWebhook(ctx, target, event, newUUID(), body)
}

// SendRawWebhook delivers body as-is under delivery id (redelivery tests
// send the same id twice).
func (s *Server) SendRawWebhook(ctx context.Context, target, event, delivery string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/standin")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-GitHub-Hook-ID", strconv.FormatInt(s.hookID, 10))
	req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	req.Header.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(s.opts.AppID, 10))
	if s.opts.WebhookSecret != "" {
		req.Header.Set("X-Hub-Signature-256", Sign(s.opts.WebhookSecret, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("delivering %s webhook: %w", event, err)
	}
	return resp, nil
}

// ErrUnknown is returned for a repository, check run, action, pull request
// or user the stand-in does not know.
var ErrUnknown = errors.New("ghstandin: unknown object")

func (s *Server) installationRef(r *repo) any {
	if r.Installation == 0 {
		return nil
	}
	return obj{"id": r.Installation, "node_id": nodeID("Installation", r.Installation)}
}

func (s *Server) orgJSON(r *repo) obj {
	o := s.st.ensureUser(r.Owner, "")
	api := s.URL() + "/orgs/" + r.Owner
	return obj{"login": o.Login, "id": o.ID, "node_id": nodeID("Organization", o.ID), "url": api,
		"repos_url": api + "/repos", "events_url": api + "/events", "hooks_url": api + "/hooks",
		"issues_url": api + "/issues", "members_url": api + "/members{/member}",
		"public_members_url": api + "/public_members{/member}", "avatar_url": s.web() + "/avatar", "description": nil}
}

// envelope adds repository, sender, installation (and organization for
// organisation-owned repositories) to a payload.
func (s *Server) envelope(p obj, r *repo, sender *user) obj {
	p["repository"] = s.repoJSON(r)
	p["sender"] = s.userJSON(sender)
	if in := s.installationRef(r); in != nil {
		p["installation"] = in
	}
	if s.st.users[r.Owner].Type == "Organization" {
		p["organization"] = s.orgJSON(r)
	}
	return p
}

// CheckRunRequestedActionPayload builds the check_run requested_action
// payload GitHub sends when login clicks the button identifier.
func (s *Server) CheckRunRequestedActionPayload(repoName string, checkRunID int64, identifier, login string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.checkRuns[checkRunID]
	if !ok || c.Repo != repoName {
		return nil, fmt.Errorf("check run %d on %s: %w", checkRunID, repoName, ErrUnknown)
	}
	found := false
	for _, a := range c.Actions {
		found = found || a.Identifier == identifier
	}
	if !found {
		return nil, fmt.Errorf("check run %d has no action %q: %w", checkRunID, identifier, ErrUnknown)
	}
	r := s.st.repos[repoName]
	cr := s.checkRunJSON(c)
	cr["check_suite"] = obj{"id": c.ID/2 + 5000, "node_id": nodeID("CheckSuite", c.ID/2+5000),
		"head_sha": c.HeadSHA, "status": "completed", "conclusion": nullable(c.Conclusion),
		"app": cr["app"], "pull_requests": cr["pull_requests"], "url": s.URL() + "/repos/" + repoName + "/check-suites/" + itoa(c.ID/2+5000),
		"created_at": ts(c.StartedAt), "updated_at": ts(time.Now())}
	return s.envelope(obj{"action": "requested_action", "check_run": cr,
		"requested_action": obj{"identifier": identifier}}, r, s.st.ensureUser(login, "")), nil
}

func (s *Server) issueJSON(r *repo, p *PullRequest) obj {
	api := s.URL() + "/repos/" + r.fullName()
	n := itoa(int64(p.Number))
	author := p.Author
	if author == "" {
		author = r.Owner
	}
	return obj{
		"id": r.ID*1000 + int64(p.Number), "node_id": nodeID("PullRequest", r.ID*1000+int64(p.Number)),
		"number": p.Number, "title": p.Title, "state": "open", "locked": false, "body": nil,
		"user": s.userJSON(s.st.ensureUser(author, "")), "labels": []any{}, "assignee": nil, "assignees": []any{},
		"milestone": nil, "comments": 0, "author_association": "MEMBER",
		"url": api + "/issues/" + n, "repository_url": api, "labels_url": api + "/issues/" + n + "/labels{/name}",
		"comments_url": api + "/issues/" + n + "/comments", "events_url": api + "/issues/" + n + "/events",
		"html_url":   s.web() + "/" + r.fullName() + "/pull/" + n,
		"created_at": "2024-01-02T03:04:05Z", "updated_at": ts(time.Now()), "closed_at": nil,
		"pull_request": obj{"url": api + "/pulls/" + n, "html_url": s.web() + "/" + r.fullName() + "/pull/" + n,
			"diff_url":  s.web() + "/" + r.fullName() + "/pull/" + n + ".diff",
			"patch_url": s.web() + "/" + r.fullName() + "/pull/" + n + ".patch", "merged_at": nil},
	}
}

// IssueCommentPayload builds an issue_comment payload ("created" or
// "edited"; edited carries changes.body.from = oldBody) for comment id.
func (s *Server) IssueCommentPayload(action string, commentID int64, oldBody string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.issueComments[commentID]
	if !ok {
		return nil, fmt.Errorf("issue comment %d: %w", commentID, ErrUnknown)
	}
	r := s.st.repos[c.Repo]
	p := obj{"action": action, "issue": s.issueJSON(r, r.Pulls[c.Number]), "comment": s.issueCommentJSON(c)}
	if action == "edited" {
		p["changes"] = obj{"body": obj{"from": oldBody}}
	}
	return s.envelope(p, r, s.st.ensureUser(c.Login, "")), nil
}

// CommitCommentPayload builds the commit_comment created payload for comment id.
func (s *Server) CommitCommentPayload(commentID int64) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.commitComments[commentID]
	if !ok {
		return nil, fmt.Errorf("commit comment %d: %w", commentID, ErrUnknown)
	}
	r := s.st.repos[c.Repo]
	cj := s.commitCommentJSON(c)
	delete(cj, "reactions") // the webhook schema has none for commit comments
	return s.envelope(obj{"action": "created", "comment": cj}, r, s.st.ensureUser(c.Login, "")), nil
}

// InstallationPayload builds an installation payload ("created" or
// "deleted") for the installation covering repo, sent by login.
func (s *Server) InstallationPayload(action, repoName, login string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.repos[repoName]
	if !ok || r.Installation == 0 {
		return nil, fmt.Errorf("installation for %s: %w", repoName, ErrUnknown)
	}
	in := s.st.installations[r.Installation]
	var repos []any
	for _, rr := range s.st.repos {
		if rr.Installation == in.ID {
			repos = append(repos, obj{"id": rr.ID, "node_id": nodeID("Repository", rr.ID), "name": rr.Name,
				"full_name": rr.fullName(), "private": rr.Private})
		}
	}
	return obj{"action": action, "installation": s.installationJSON(in), "repositories": repos,
		"sender": s.userJSON(s.st.ensureUser(login, ""))}, nil
}

func (s *Server) deliver(event string, payload map[string]any) (int, error) {
	s.mu.Lock()
	target := s.target
	s.mu.Unlock()
	if target == "" {
		return 0, errors.New("ghstandin: no webhook target configured")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := s.SendWebhook(ctx, target, event, payload)
	if err != nil {
		s.log.Warn("stand-in webhook delivery failed", "event", event, "err", err)
		return 0, err
	}
	s.log.Info("stand-in delivered webhook", "event", event, "action", payload["action"], "status", resp.StatusCode)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ClickAction plays login clicking the button identifier on a check run:
// it delivers a signed check_run requested_action webhook to the target
// and returns the target's HTTP status.
func (s *Server) ClickAction(repoName string, checkRunID int64, identifier, login string) (int, error) {
	p, err := s.CheckRunRequestedActionPayload(repoName, checkRunID, identifier, login)
	if err != nil {
		return 0, err
	}
	return s.deliver("check_run", p)
}

// PostIssueComment stores login's comment on PR number and delivers
// issue_comment created. It returns the target's HTTP status.
func (s *Server) PostIssueComment(repoName string, number int, login, body string) (int, error) {
	s.mu.Lock()
	r, ok := s.st.repos[repoName]
	if !ok || r.Pulls[number] == nil {
		s.mu.Unlock()
		return 0, fmt.Errorf("pull request %s#%d: %w", repoName, number, ErrUnknown)
	}
	s.st.ensureUser(login, "")
	c := s.st.addIssueComment(repoName, number, login, body)
	s.mu.Unlock()
	p, err := s.IssueCommentPayload("created", c.ID, "")
	if err != nil {
		return 0, err
	}
	return s.deliver("issue_comment", p)
}

// EditIssueComment changes a comment's body and delivers issue_comment edited.
func (s *Server) EditIssueComment(commentID int64, body string) (int, error) {
	s.mu.Lock()
	c, ok := s.st.issueComments[commentID]
	if !ok {
		s.mu.Unlock()
		return 0, fmt.Errorf("issue comment %d: %w", commentID, ErrUnknown)
	}
	old := c.Body
	c.Body, c.Updated = body, time.Now().UTC()
	c.Edits++
	s.mu.Unlock()
	p, err := s.IssueCommentPayload("edited", commentID, old)
	if err != nil {
		return 0, err
	}
	return s.deliver("issue_comment", p)
}

// PostCommitComment stores login's comment on commit sha and delivers
// commit_comment created. It returns the target's HTTP status.
func (s *Server) PostCommitComment(repoName, sha, login, body string) (int, error) {
	s.mu.Lock()
	if _, ok := s.st.repos[repoName]; !ok || !shaRE.MatchString(sha) {
		s.mu.Unlock()
		return 0, fmt.Errorf("commit %s@%s: %w", repoName, sha, ErrUnknown)
	}
	s.st.ensureUser(login, "")
	c := s.st.addCommitComment(repoName, sha, login, body)
	s.mu.Unlock()
	p, err := s.CommitCommentPayload(c.ID)
	if err != nil {
		return 0, err
	}
	return s.deliver("commit_comment", p)
}

// DeliverInstallation delivers an installation event for repo's installation.
func (s *Server) DeliverInstallation(action, repoName, login string) (int, error) {
	p, err := s.InstallationPayload(action, repoName, login)
	if err != nil {
		return 0, err
	}
	return s.deliver("installation", p)
}
