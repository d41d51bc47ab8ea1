package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// pendingRequest creates a pending request in repoA and returns its id and
// check run id.
func (h *harness) pendingRequest(tok, command string) (string, int64) {
	h.t.Helper()
	_, v := h.create(tok, cmdBody(command))
	if v.Status != gate.StatusPending {
		h.t.Fatalf("status = %s, want pending", v.Status)
	}
	return v.ID, h.request(v.ID).CheckRunID
}

// Invariant 1: signatures, rotation, redelivery, size limit.
func TestWebhookSignatures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{secrets: []string{"new-secret", testSecret}})
	h.gh.setPerm(repoA, "alice", "write")
	h.gh.setPerm(repoA, "bob", "write")
	id, cr := h.pendingRequest(h.newRun(), "./deploy.sh")
	click := func(login string) map[string]any {
		return clickPayload(t, repoA, repoAID, id, cr, "approve", login, "User")
	}
	tests := []struct {
		name     string
		secret   string
		wantCode int
	}{
		{"missing signature", "", 401},
		{"forged signature", "wrong-secret", 401},
	}
	for _, tt := range tests {
		if code, body := h.webhook("check_run", click("alice"), tt.secret, ""); code != tt.wantCode {
			t.Errorf("%s: code = %d %s, want %d", tt.name, code, body, tt.wantCode)
		}
	}
	if r := h.request(id); len(r.Votes) != 0 || r.Status != gate.StatusPending {
		t.Fatalf("after bad signatures: %d votes, %s; want nothing processed", len(r.Votes), r.Status)
	}
	// A signature of other bytes (the body was changed in transit).
	body := []byte(`{"action":"requested_action"}`)
	req, _ := http.NewRequest("POST", h.http.URL+"/webhook", bytes.NewReader(append(body, ' ')))
	req.Header.Set("X-GitHub-Event", "check_run")
	req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("tampered body: %v %v, want 401", resp.StatusCode, err)
	}
	// Oversize bodies are refused before anything else.
	big := map[string]any{"pad": strings.Repeat("x", maxBufferedBody)}
	if code, _ := h.webhook("check_run", big, testSecret, ""); code != 413 {
		t.Errorf("oversize body: code = %d, want 413", code)
	}
	// The old secret still works during rotation; a redelivery is processed once.
	if code, body := h.webhook("check_run", click("alice"), testSecret, "dup-1"); code != 200 || !strings.Contains(body, "approved") {
		t.Fatalf("rotated (old) secret: %d %s, want 200 approved", code, body)
	}
	if code, body := h.webhook("check_run", click("bob"), "new-secret", "dup-1"); code != 200 || !strings.Contains(body, "duplicate") {
		t.Errorf("redelivery: %d %s, want 200 duplicate", code, body)
	}
	if r := h.request(id); len(r.Votes) != 1 {
		t.Errorf("votes = %d, want 1 (redelivery processed once)", len(r.Votes))
	}
	if code, _ := h.webhook("star", map[string]any{"action": "created"}, "new-secret", ""); code != 202 {
		t.Errorf("ignored event: code = %d, want 202", code)
	}
}

// Invariant 2: tokens are verified and bind requests to their repository.
func TestGateTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	tokA := h.token(repoA, repoAID, 77, nil)
	id, _ := h.pendingRequest(tokA, "./deploy.sh")
	tokB := h.token(repoB, repoBID, 77, nil)
	claimsA := claims(repoA, repoAID, 77)
	mint := func(o oidcissuer.MintOptions) string {
		if o.Audience == "" {
			o.Audience = publicURL
		}
		return h.iss.MintWith(claimsA, o)
	}
	tests := []struct {
		name, method, path, tok string
		body                    any
		want                    int
	}{
		{"B reads A", "GET", "/api/v1/requests/" + id, tokB, nil, 404},
		{"B reports on A", "POST", "/api/v1/requests/" + id + "/result", tokB, gate.ResultReport{ExitCode: 0}, 404},
		{"B cancels A", "POST", "/api/v1/requests/" + id + "/cancel", tokB, gate.CancelReport{}, 404},
		{"other run of A reports", "POST", "/api/v1/requests/" + id + "/result", h.token(repoA, repoAID, 78, nil), gate.ResultReport{}, 404},
		{"unknown id", "GET", "/api/v1/requests/sg_aaaa", tokA, nil, 404},
		{"no token", "GET", "/api/v1/requests/" + id, "", nil, 401},
		{"garbage token", "GET", "/api/v1/requests/" + id, "not.a.jwt", nil, 401},
		{"expired token", "GET", "/api/v1/requests/" + id, mint(oidcissuer.MintOptions{TTL: -time.Minute}), nil, 401},
		{"wrong audience", "GET", "/api/v1/requests/" + id, mint(oidcissuer.MintOptions{Audience: "https://evil.example"}), nil, 401},
		{"wrong key", "GET", "/api/v1/requests/" + id, mint(oidcissuer.MintOptions{OtherKey: true}), nil, 401},
		{"wrong issuer", "GET", "/api/v1/requests/" + id, mint(oidcissuer.MintOptions{Issuer: "https://token.actions.githubusercontent.com"}), nil, 401},
		{"not yet valid", "GET", "/api/v1/requests/" + id, mint(oidcissuer.MintOptions{NotBefore: time.Now().Add(time.Hour)}), nil, 401},
		{"A reads A", "GET", "/api/v1/requests/" + id, tokA, nil, 200},
	}
	for _, tt := range tests {
		resp, body := h.do(tt.method, tt.path, tt.tok, tt.body)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: code = %d %s, want %d", tt.name, resp.StatusCode, body, tt.want)
		}
	}
	// B creating "the same" request gets its own, never A's.
	_, vB := h.create(tokB, cmdBody("./deploy.sh"))
	if vB.ID == id || vB.Repo != repoB {
		t.Errorf("B's create = %s in %s, want a separate request of %s", vB.ID, vB.Repo, repoB)
	}
	if r := h.request(id); r.Status != gate.StatusPending {
		t.Errorf("A's request is %s after B's calls, want pending", r.Status)
	}
}

func TestTokenEnvironmentIsAuthoritative(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	tok := h.token(repoA, repoAID, 9, func(c *oidcissuer.Claims) { c.Environment = "staging" })
	body := cmdBody("./deploy.sh") // says production
	if code, _ := h.create(tok, body); code != 400 {
		t.Errorf("mismatching environment: code = %d, want 400", code)
	}
	body.Environment = ""
	if code, v := h.create(tok, body); code != 201 || v.Environment != "staging" {
		t.Errorf("empty body environment: %d %q, want 201 staging", code, v.Environment)
	}
}

// Invariant 3: every vote is re-checked on the server.
func TestVoteEligibility(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		policy     string
		login      string
		perm       string
		senderType string
		wantStatus gate.Status
	}{
		{"writer approves", "", "alice", "write", "User", gate.StatusApproved},
		{"reader clicks approve", "", "rita", "read", "User", gate.StatusPending},
		{"run actor approves own run", "", "dev", "admin", "User", gate.StatusPending},
		{"run actor with self_approval", "version: 1\ndefaults: { self_approval: true }\nrules: []\n", "dev", "admin", "User", gate.StatusApproved},
		{"bot approves", "", "deploy-bot", "admin", "Bot", gate.StatusPending},
		{"the App itself", "", "stepgate[bot]", "admin", "User", gate.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			if tt.policy != "" {
				h.gh.setFile(repoA, lifecycle.PolicyPath, tt.policy)
			}
			h.gh.setPerm(repoA, tt.login, tt.perm)
			id, cr := h.pendingRequest(h.newRun(), "./deploy.sh")
			code, _ := h.webhook("check_run", clickPayload(t, repoA, repoAID, id, cr, "approve", tt.login, tt.senderType), testSecret, "")
			if code != 200 {
				t.Fatalf("webhook code = %d", code)
			}
			r := h.request(id)
			if r.Status != tt.wantStatus {
				t.Fatalf("status = %s, want %s", r.Status, tt.wantStatus)
			}
			if tt.wantStatus == gate.StatusPending {
				if len(r.Votes) != 0 {
					t.Errorf("votes = %v, want none recorded", r.Votes)
				}
				if got := h.gh.checkRun(cr); !strings.Contains(got.Summary, "does not count") {
					t.Errorf("check run does not explain the ignored click:\n%s", got.Summary)
				}
			}
		})
	}
}

func TestEditedCommentDoesNotCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	body := cmdBody("./deploy.sh")
	body.PullRequest = 7
	_, v := h.create(h.prToken(7), body)
	p := prCommentPayload(t, "edited", repoA, repoAID, 7, "alice", "/stepgate approve "+v.ID)
	if code, resp := h.webhook("issue_comment", p, testSecret, ""); code != 202 || !strings.Contains(resp, "ignored") {
		t.Errorf("edited comment: %d %s, want 202 ignored", code, resp)
	}
	if r := h.request(v.ID); r.Status != gate.StatusPending || len(r.Votes) != 0 {
		t.Fatalf("after edited comment: %s with %d votes, want pending with none", r.Status, len(r.Votes))
	}
	p = prCommentPayload(t, "created", repoA, repoAID, 7, "alice", "Looks fine.\n\n/stepgate approve")
	if code, resp := h.webhook("issue_comment", p, testSecret, ""); code != 200 || !strings.Contains(resp, "approved") {
		t.Errorf("new comment: %d %s, want approved", code, resp)
	}
}

// The policy comes from the default branch only: a PR that loosens it on
// its head branch changes nothing (the App never reads the head).
func TestPolicyFromDefaultBranchOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, "version: 1\nrules:\n  - name: strict\n    require: { users: [carol] }\n")
	body := cmdBody("./deploy.sh")
	body.PullRequest = 3 // the PR's head edits .github/stepgate.yml to `then: allow`
	code, v := h.create(h.prToken(3), body)
	if code != 201 || v.Status != gate.StatusPending || v.Rule != "strict" {
		t.Fatalf("create = %d %s %s, want pending under the default branch's rule", code, v.Status, v.Rule)
	}
}

func TestInvalidPolicyFailsClosed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, "version: 1\nrules:\n  - name: x\n    then: maybe\n")
	code, v := h.create(h.newRun(), cmdBody("kubectl get pods"))
	if code != 201 || v.Status != gate.StatusRejected || !strings.HasPrefix(v.Reason, "policy .github/stepgate.yml is invalid: line 4: ") {
		t.Fatalf("create = %d %s %q, want rejected naming the invalid policy", code, v.Status, v.Reason)
	}
}

// Invariant 5: concurrent approvals reach exactly one decision.
func TestConcurrentApprovals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy string
		want   int // approvers counted
	}{
		{"one needed", "", 1},
		{"three needed", "version: 1\nrules:\n  - name: three\n    require: { role: write, count: 3 }\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			if tt.policy != "" {
				h.gh.setFile(repoA, lifecycle.PolicyPath, tt.policy)
			}
			id, cr := h.pendingRequest(h.newRun(), "./deploy.sh")
			// Payloads are built here: a helper that can t.Skip or t.Fatal
			// must not run on another goroutine.
			payloads := make([]map[string]any, 50)
			for i := range payloads {
				login := fmt.Sprintf("user%d", i)
				h.gh.setPerm(repoA, login, "write")
				payloads[i] = clickPayload(t, repoA, repoAID, id, cr, "approve", login, "User")
			}
			var wg sync.WaitGroup
			for _, p := range payloads {
				wg.Go(func() { sendOrError(t, h, "check_run", p, "") })
			}
			wg.Wait()
			if n := h.srv.life.LocksHeld(); n != 0 {
				t.Errorf("%d request locks left after the votes, want 0", n)
			}
			r := h.request(id)
			if r.Status != gate.StatusApproved || len(r.DecidedBy) != tt.want || len(r.Votes) != tt.want {
				t.Fatalf("status %s, decided by %v, %d votes; want approved by %d", r.Status, r.DecidedBy, len(r.Votes), tt.want)
			}
			if got := h.srv.metrics; got == nil {
				t.Fatal("no metrics")
			}
		})
	}
}

func TestExpiredRequestCannotBeApproved(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{clock: true})
	h.gh.setPerm(repoA, "alice", "write")
	tok := h.newRun()
	body := cmdBody("./deploy.sh")
	body.TimeoutSeconds = 60
	_, v := h.create(tok, body)
	h.advance(2 * time.Minute)
	h.webhook("check_run", clickPayload(t, repoA, repoAID, v.ID, h.request(v.ID).CheckRunID, "approve", "alice", "User"), testSecret, "")
	r := h.request(v.ID)
	if r.Status != gate.StatusExpired || len(r.Votes) != 0 {
		t.Fatalf("status %s with %d votes, want expired with none", r.Status, len(r.Votes))
	}
	if cr := h.gh.checkRun(r.CheckRunID); cr.Conclusion != "timed_out" {
		t.Errorf("check run conclusion = %q, want timed_out", cr.Conclusion)
	}
}

// Invariant 8: freeze and unfreeze, by admins only.
func TestFreeze(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "maya", "maintain")
	h.gh.setPerm(repoA, "ada", "admin")
	id, _ := h.pendingRequest(h.newRun(), "./deploy.sh")
	comment := func(login, body string) string {
		_, resp := h.webhook("commit_comment", commitCommentPayload(t, repoA, repoAID, headSHA, login, body), testSecret, "")
		return resp
	}
	if resp := comment("maya", "/stepgate freeze incident"); !strings.Contains(resp, "ineligible") {
		t.Errorf("freeze by maintainer: %s, want ignored", resp)
	}
	if r := h.request(id); r.Status != gate.StatusPending {
		t.Fatalf("after a maintainer's freeze: %s, want pending", r.Status)
	}
	if resp := comment("ada", "/stepgate freeze incident 42"); !strings.Contains(resp, "frozen") {
		t.Fatalf("freeze by admin: %s", resp)
	}
	if r := h.request(id); r.Status != gate.StatusRejected || !strings.Contains(r.FinalReason, "frozen") {
		t.Errorf("pending request after freeze: %s %q, want rejected", r.Status, r.FinalReason)
	}
	if _, v := h.create(h.newRun(), cmdBody("kubectl get pods")); v.Status != gate.StatusRejected {
		t.Errorf("new request while frozen: %s, want rejected", v.Status)
	}
	if resp := comment("maya", "/stepgate unfreeze"); !strings.Contains(resp, "ineligible") {
		t.Errorf("unfreeze by maintainer: %s, want ignored", resp)
	}
	if resp := comment("ada", "/stepgate unfreeze"); !strings.Contains(resp, "unfrozen") {
		t.Errorf("unfreeze by admin: %s", resp)
	}
	if _, v := h.create(h.newRun(), cmdBody("./deploy.sh")); v.Status != gate.StatusPending {
		t.Errorf("new request after unfreeze: %s, want pending", v.Status)
	}
}

// Invariant 7: what a command contains cannot break out of its block.
func TestCommandRenderedSafely(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	token := "ghp_" + strings.Repeat("A1b2C3d4", 4) + "zzzz"
	command := "echo '```\n<details><summary>ok</summary><script>alert(1)</script>' @octocat " + token + " \u202egnp.exe\n```'"
	body := cmdBody(command)
	body.PullRequest = 4
	code, v := h.create(h.prToken(4), body)
	if code != 201 || v.Status != gate.StatusPending {
		t.Fatalf("create = %d %s, want 201 pending", code, v.Status)
	}
	r := h.request(v.ID)
	cr := h.gh.checkRun(r.CheckRunID)
	comments := h.gh.allComments()
	if len(comments) != 1 {
		t.Fatalf("comments = %d, want 1", len(comments))
	}
	for name, text := range map[string]string{"summary": cr.Summary, "text": cr.Text, "comment": comments[0].Body, "stored": r.Command} {
		if strings.Contains(text, token) {
			t.Errorf("%s contains the token", name)
		}
		if name != "stored" && strings.Contains(text, "\u202e") {
			t.Errorf("%s contains a raw bidi override", name)
		}
	}
	for name, text := range map[string]string{"summary": cr.Summary, "comment": comments[0].Body} {
		assertInsideFence(t, name, text, "<script>")
		assertInsideFence(t, name, text, "@octocat")
	}
}

// assertInsideFence checks that every occurrence of needle lies inside a
// fenced code block whose fence nothing inside it closes.
func assertInsideFence(t *testing.T, name, text, needle string) {
	t.Helper()
	inFence, fence := false, ""
	for line := range strings.Lines(text) {
		l := strings.TrimRight(line, "\n")
		switch {
		case !inFence && strings.HasPrefix(l, "```"):
			inFence, fence = true, strings.TrimRight(l, "abcdefghijklmnopqrstuvwxyz")
		case inFence && l == fence:
			inFence = false
		case !inFence && strings.Contains(l, needle):
			t.Errorf("%s: %q outside a code block in line %q", name, needle, l)
		}
	}
}

// A verified token is cached for speed, but never past its expiry.
func TestCachedTokenStillExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{clock: true})
	tok := h.newRun() // valid for 10 minutes
	id, _ := h.pendingRequest(tok, "./deploy.sh")
	if code, _ := h.get(tok, id, ""); code != 200 {
		t.Fatalf("fresh token = %d", code)
	}
	h.advance(11 * time.Minute)
	if code, _ := h.get(tok, id, ""); code != 401 {
		t.Errorf("expired cached token = %d, want 401", code)
	}
}

// An issuer configured with a trailing slash still verifies its tokens.
func TestIssuerTrailingSlash(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	srv, err := New(Config{Store: h.st, GitHub: h.gh.newClient(t, nil), PublicURL: publicURL, OIDCIssuer: h.iss.URL() + "/",
		WebhookSecrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	other := &harness{t: t, http: hs}
	if code, _ := other.create(h.newRun(), cmdBody("./x.sh")); code != 201 {
		t.Errorf("create = %d, want 201", code)
	}
}
