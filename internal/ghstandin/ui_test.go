package ghstandin_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/webhookex"
)

func TestUIPageEscapes(t *testing.T) {
	t.Parallel()
	gh, a, tok := newStandin(t, "")
	evil := "<script>alert(1)</script> **bold** [x](javascript:alert(1))"
	id := createCheckRun(t, a, tok, evil)
	gh.PostIssueComment(repo, 12, "alice", "<img src=x onerror=alert(1)>") // no target: stored, not delivered
	resp, err := http.Get(gh.URL() + "/_standin/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	page := string(b)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /_standin/ = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, bad := range []string{"<script>", "<img", "<strong>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains raw %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "check-run-" + strconv.FormatInt(id, 10), `value="approve"`, "<option>alice</option>", "Approve</button>", "Pull request #12"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, `src="`) || strings.Contains(page, "<link") {
		t.Error("page loads external assets")
	}
}

func TestUIClickAndComment(t *testing.T) {
	t.Parallel()
	rc, target := newReceiver(t)
	gh, a, tok := newStandin(t, target)
	id := createCheckRun(t, a, tok, "waiting")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, origin string) *http.Response {
		req, _ := http.NewRequest("POST", gh.URL()+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	click := url.Values{"repo": {repo}, "check_run": {strconv.FormatInt(id, 10)}, "identifier": {"approve"}, "login": {"alice"}}
	if resp := post("/_standin/click", click, "http://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin click = %d, want 403", resp.StatusCode)
	}
	resp := post("/_standin/click", click, gh.URL())
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "HTTP+202") {
		t.Errorf("click = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if d := rc.last(); d.header.Get("X-GitHub-Event") != "check_run" || webhookex.Get(d.payload, "sender", "login") != "alice" {
		t.Errorf("click delivered %v", d.payload)
	}
	post("/_standin/comment", url.Values{"repo": {repo}, "target": {"12"}, "login": {"alice"}, "body": {"/stepgate approve"}}, "")
	if d := rc.last(); d.header.Get("X-GitHub-Event") != "issue_comment" || webhookex.Get(d.payload, "comment", "body") != "/stepgate approve" {
		t.Errorf("comment delivered %v", d.payload)
	}
	post("/_standin/comment", url.Values{"repo": {repo}, "target": {headSHA}, "login": {"alice"}, "body": {"/stepgate reject no"}}, "")
	if d := rc.last(); d.header.Get("X-GitHub-Event") != "commit_comment" {
		t.Errorf("commit comment delivered %v", d.payload)
	}
	desc := gh.Describe(id)
	for _, want := range []string{"in_progress", "Approval needed", "| waiting", "[approve] Approve", "by alice", "> /stepgate approve"} {
		if !strings.Contains(desc, want) {
			t.Errorf("Describe lacks %q:\n%s", want, desc)
		}
	}
}
