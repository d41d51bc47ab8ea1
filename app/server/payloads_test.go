package server

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/webhookex"
)

// example returns a fresh copy of a payload from the npm package
// @octokit/webhooks-examples (internal/webhookex), so tests send what GitHub
// sends, changed only where a test needs it.
func example(t *testing.T, event, action string, pick func(map[string]any) bool) map[string]any {
	t.Helper()
	return webhookex.Example(t, event, action, pick)
}

func obj(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	if v == nil {
		v = map[string]any{}
		m[key] = v
	}
	return v
}

var commentIDs atomic.Int64

// freshComment makes c a new comment, as GitHub sends it: its own id and
// written now (GitHub's timestamps have whole seconds). A comment counts
// once by its id and only if written after the request.
func freshComment(c map[string]any) {
	c["id"] = 7_000_000 + commentIDs.Add(1)
	c["created_at"] = time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
}

func setRepo(p map[string]any, repo string, id int64) {
	r := obj(p, "repository")
	r["full_name"], r["id"] = repo, id
}

func setSender(p map[string]any, login, typ string) {
	s := obj(p, "sender")
	s["login"], s["type"] = login, typ
}

// clickPayload is a check_run requested_action event on the request's check run.
func clickPayload(t *testing.T, repo string, repoID int64, reqID string, checkRunID int64, identifier, login, typ string) map[string]any {
	p := example(t, "check_run", "requested_action", nil)
	cr := obj(p, "check_run")
	cr["external_id"], cr["id"], cr["head_sha"] = reqID, checkRunID, headSHA
	obj(p, "requested_action")["identifier"] = identifier
	setRepo(p, repo, repoID)
	setSender(p, login, typ)
	return p
}

// prCommentPayload is an issue_comment event on a pull request.
func prCommentPayload(t *testing.T, action, repo string, repoID int64, pr int, login, body string) map[string]any {
	p := example(t, "issue_comment", action, nil)
	is := obj(p, "issue")
	is["number"] = pr
	if _, ok := is["pull_request"]; !ok {
		is["pull_request"] = map[string]any{"url": "https://api.github.com/repos/" + repo + "/pulls/1"}
	}
	c := obj(p, "comment")
	c["body"] = body
	freshComment(c)
	u := obj(c, "user")
	u["login"], u["type"] = login, "User"
	setRepo(p, repo, repoID)
	setSender(p, login, "User")
	return p
}

// commitCommentPayload is a commit_comment event on sha.
func commitCommentPayload(t *testing.T, repo string, repoID int64, sha, login, body string) map[string]any {
	p := example(t, "commit_comment", "created", nil)
	c := obj(p, "comment")
	c["body"], c["commit_id"] = body, sha
	freshComment(c)
	u := obj(c, "user")
	u["login"], u["type"] = login, "User"
	setRepo(p, repo, repoID)
	setSender(p, login, "User")
	return p
}
