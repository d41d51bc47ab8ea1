package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// example returns a copy of the first payload of event (and action) from
// the npm package @octokit/webhooks-examples, so tests send what GitHub
// sends, changed only where a test needs it.
func example(t *testing.T, event, action string, pick func(map[string]any) bool) map[string]any {
	t.Helper()
	all, err := loadExamples()
	if err != nil {
		t.Fatalf("webhook examples missing (run npm ci at the repository root): %v", err)
	}
	for _, raw := range all[event] {
		var ex map[string]any
		if err := json.Unmarshal(raw, &ex); err != nil {
			t.Fatal(err)
		}
		if ex["action"] == action && (pick == nil || pick(ex)) {
			return ex
		}
	}
	t.Fatalf("no %s/%s example", event, action)
	return nil
}

// loadExamples reads the examples file once per test binary: each call of
// example decodes a fresh copy of one payload.
var loadExamples = sync.OnceValues(func() (map[string][]json.RawMessage, error) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "node_modules", "@octokit", "webhooks-examples", "api.github.com", "index.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var all []struct {
		Name     string            `json:"name"`
		Examples []json.RawMessage `json:"examples"`
	}
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	out := map[string][]json.RawMessage{}
	for _, e := range all {
		out[e.Name] = e.Examples
	}
	return out, nil
})

func obj(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	if v == nil {
		v = map[string]any{}
		m[key] = v
	}
	return v
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
	u := obj(c, "user")
	u["login"], u["type"] = login, "User"
	setRepo(p, repo, repoID)
	setSender(p, login, "User")
	return p
}
