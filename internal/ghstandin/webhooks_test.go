package ghstandin_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/webhookex"
)

type delivery struct {
	header  http.Header
	payload map[string]any
}

// receiver is a webhook endpoint that verifies signatures like the App.
type receiver struct {
	t  *testing.T
	mu sync.Mutex
	d  []delivery
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hub-Signature-256"))) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.d = append(rc.d, delivery{r.Header.Clone(), p})
	rc.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (rc *receiver) last() delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.d) == 0 {
		rc.t.Fatal("no delivery")
	}
	return rc.d[len(rc.d)-1]
}

func newReceiver(t *testing.T) (*receiver, string) {
	rc := &receiver{t: t}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL + "/webhook"
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestClickActionDeliversSignedWebhook(t *testing.T) {
	t.Parallel()
	rc, target := newReceiver(t)
	gh, a, tok := newStandin(t, target)
	id := createCheckRun(t, a, tok, "waiting")
	st, err := gh.ClickAction(repo, id, "approve", "alice")
	if err != nil || st != http.StatusAccepted {
		t.Fatalf("ClickAction = %d, %v", st, err)
	}
	d := rc.last()
	for h, want := range map[string]string{"X-GitHub-Event": "check_run", "Content-Type": "application/json"} {
		if got := d.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if !uuidRE.MatchString(d.header.Get("X-GitHub-Delivery")) || !strings.HasPrefix(d.header.Get("User-Agent"), "GitHub-Hookshot/") || d.header.Get("X-GitHub-Hook-ID") == "" {
		t.Errorf("delivery headers: %v", d.header)
	}
	for path, want := range map[string]any{
		"action": "requested_action", "requested_action.identifier": "approve", "sender.login": "alice",
		"sender.type": "User", "check_run.id": float64(id), "check_run.external_id": "req-1", "check_run.head_sha": headSHA,
		"check_run.app.id": float64(gh.AppID()), "installation.id": float64(gh.InstallationID(repo)), "repository.full_name": repo,
	} {
		if got := webhookex.Get(d.payload, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	prs, _ := webhookex.Get(d.payload, "check_run", "pull_requests").([]any)
	if len(prs) != 1 || webhookex.Get(prs[0].(map[string]any), "number") != float64(12) {
		t.Errorf("check_run.pull_requests = %v, want PR 12", prs)
	}
	if _, err := gh.ClickAction(repo, id, "no-such-button", "alice"); err == nil {
		t.Error("click on a button the check run does not have was delivered")
	}
}

func TestCommentsDeliverWebhooks(t *testing.T) {
	t.Parallel()
	rc, target := newReceiver(t)
	gh, _, _ := newStandin(t, target)
	if st, err := gh.PostIssueComment(repo, 12, "alice", "/stepgate approve"); err != nil || st != 202 {
		t.Fatalf("PostIssueComment = %d, %v", st, err)
	}
	d := rc.last()
	if d.header.Get("X-GitHub-Event") != "issue_comment" || webhookex.Get(d.payload, "issue", "number") != float64(12) ||
		webhookex.Get(d.payload, "issue", "pull_request", "url") == nil || webhookex.Get(d.payload, "comment", "body") != "/stepgate approve" ||
		webhookex.Get(d.payload, "comment", "user", "login") != "alice" || webhookex.Get(d.payload, "action") != "created" {
		t.Errorf("issue_comment payload: %v", d.payload)
	}
	cid := int64(webhookex.Get(d.payload, "comment", "id").(float64))
	if _, err := gh.EditIssueComment(cid, "/stepgate reject"); err != nil {
		t.Fatal(err)
	}
	d = rc.last()
	if webhookex.Get(d.payload, "action") != "edited" || webhookex.Get(d.payload, "changes", "body", "from") != "/stepgate approve" {
		t.Errorf("edited payload: %v", d.payload)
	}
	if st, err := gh.PostCommitComment(repo, headSHA, "alice", "/stepgate approve"); err != nil || st != 202 {
		t.Fatalf("PostCommitComment = %d, %v", st, err)
	}
	d = rc.last()
	if d.header.Get("X-GitHub-Event") != "commit_comment" || webhookex.Get(d.payload, "comment", "commit_id") != headSHA {
		t.Errorf("commit_comment payload: %v", d.payload)
	}
	if got := gh.IssueComments(repo, 12); len(got) != 1 || got[0].Body != "/stepgate reject" || got[0].Edits != 1 {
		t.Errorf("stored issue comments: %+v", got)
	}
	if _, err := gh.PostIssueComment(repo, 99, "alice", "x"); err == nil {
		t.Error("comment on unknown PR accepted")
	}
}

func TestBadSecretRejected(t *testing.T) {
	t.Parallel()
	_, target := newReceiver(t)
	gh := ghstandin.New(ghstandin.Options{AppKey: keys()[0], WebhookSecret: "wrong", WebhookTarget: target})
	defer gh.Close()
	gh.AddRepo(ghstandin.Repo{FullName: repo})
	gh.AddPullRequest(repo, ghstandin.PullRequest{Number: 1, HeadSHA: headSHA})
	if st, err := gh.PostIssueComment(repo, 1, "alice", "hi"); err != nil || st != http.StatusUnauthorized {
		t.Errorf("delivery signed with another secret = %d, %v; want 401", st, err)
	}
}

// TestPayloadsMatchExamples checks the builders against GitHub's own
// examples: every key the stand-in sends exists in the example (nothing
// invented), and the keys the App relies on are present.
func TestPayloadsMatchExamples(t *testing.T) {
	t.Parallel()
	_, target := newReceiver(t)
	gh, a, tok := newStandin(t, target)
	id := createCheckRun(t, a, tok, "waiting")
	gh.PostIssueComment(repo, 12, "alice", "hi")
	gh.PostCommitComment(repo, headSHA, "alice", "hi")
	click, err := gh.CheckRunRequestedActionPayload(repo, id, "approve", "alice")
	if err != nil {
		t.Fatal(err)
	}
	ic, _ := gh.IssueCommentPayload("created", gh.IssueComments(repo, 12)[0].ID, "")
	cc, _ := gh.CommitCommentPayload(gh.CommitComments(repo, headSHA)[0].ID)
	inst, _ := gh.InstallationPayload("created", repo, "alice")
	del, _ := gh.InstallationPayload("deleted", repo, "alice")
	tests := []payloadCase{
		{"check_run", "requested_action", click,
			[]string{"check_run", "check_run.app", "check_run.output", "check_run.check_suite", "requested_action", "sender", "repository", "repository.owner", "installation", "organization"},
			[]string{"check_run.id", "check_run.external_id", "check_run.head_sha", "check_run.app.id", "requested_action.identifier", "sender.login", "sender.type", "repository.full_name", "installation.id"}},
		{"issue_comment", "created", ic,
			[]string{"issue", "issue.user", "comment", "comment.user", "sender", "repository"},
			[]string{"issue.number", "issue.pull_request.url", "comment.id", "comment.body", "comment.user.login", "comment.user.type", "sender.login", "repository.full_name", "installation.id"}},
		{"commit_comment", "created", cc,
			[]string{"comment", "comment.user", "sender", "repository"},
			[]string{"comment.id", "comment.commit_id", "comment.body", "comment.user.type", "repository.full_name", "installation.id"}},
		{"installation", "created", inst,
			[]string{"installation", "installation.account", "sender"},
			[]string{"installation.id", "installation.account.login", "installation.app_id", "repositories"}},
		{"installation", "deleted", del,
			[]string{"installation", "installation.account", "sender"},
			[]string{"installation.id", "installation.account.login"}},
	}
	for _, tt := range tests {
		tt.check(t)
	}
}

// payloadCase is one delivery the stand-in built and what to compare.
type payloadCase struct {
	event, action string
	got           map[string]any
	objects       []string // nested objects compared key by key
	required      []string
}

// extraKeys: App deliveries always carry installation; org repositories
// organization.
var extraKeys = map[string]bool{"installation": true, "organization": true}

// check: every key the delivery has at the top level and in each of
// tt.objects is in GitHub's examples (or documented), and the required
// paths are present.
func (tt payloadCase) check(t *testing.T) {
	t.Helper()
	for _, k := range keysOf(tt.got) {
		if !exampleKeys(t, tt.event, "")[k] && !extraKeys[k] {
			t.Errorf("%s %s: top-level key %q is not in GitHub's examples", tt.event, tt.action, k)
		}
	}
	for _, path := range tt.objects {
		g, _ := webhookex.Get(tt.got, strings.Split(path, ".")...).(map[string]any)
		e := exampleKeys(t, tt.event, path)
		if len(e) == 0 && extraKeys[strings.Split(path, ".")[0]] {
			e = exampleKeys(t, "check_run", path)
		}
		if g == nil || len(e) == 0 {
			t.Errorf("%s %s: %s missing (ours %v, examples %v)", tt.event, tt.action, path, g != nil, len(e) > 0)
			continue
		}
		for _, k := range keysOf(g) {
			if !e[k] && !documented[tt.event+":"+path+"."+k] {
				t.Errorf("%s %s: %s.%s is not in GitHub's examples", tt.event, tt.action, path, k)
			}
		}
	}
	for _, path := range tt.required {
		if webhookex.Get(tt.got, strings.Split(path, ".")...) == nil {
			t.Errorf("%s %s: %s missing", tt.event, tt.action, path)
		}
	}
}

// documented are fields GitHub's webhook schema (npm @octokit/webhooks-types)
// has that the examples package, recorded earlier, lacks.
var documented = map[string]bool{
	"issue_comment:issue.pull_request": true, "issue_comment:comment.reactions": true,
	"issue_comment:repository.visibility": true, "commit_comment:repository.visibility": true,
	"installation:installation.app_slug": true,
}

// exampleKeys is the union of the keys at path over all of event's examples.
func exampleKeys(t *testing.T, event, path string) map[string]bool {
	out := map[string]bool{}
	for _, ex := range webhookex.ForTest(t).All(event, "") {
		var v any = ex
		if path != "" {
			v = webhookex.Get(ex, strings.Split(path, ".")...)
		}
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				out[k] = true
			}
		}
	}
	return out
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestOwnCommentsEchoed(t *testing.T) {
	t.Parallel()
	rc, target := newReceiver(t)
	gh, a, tok := newStandinOpts(t, ghstandin.Options{WebhookTarget: target, DeliverOwnComments: true})
	if st, m := a.do("POST", "/repos/"+repo+"/issues/12/comments", tok, map[string]any{"body": "waiting for approval"}); st != 201 {
		t.Fatalf("create comment: %d %v", st, m)
	}
	gh.Close() // waits for the asynchronous delivery
	d := rc.last()
	if d.header.Get("X-GitHub-Event") != "issue_comment" || webhookex.Get(d.payload, "comment", "user", "type") != "Bot" ||
		webhookex.Get(d.payload, "sender", "login") != gh.BotLogin() {
		t.Errorf("echo of the App's comment: %v", d.payload)
	}
}
