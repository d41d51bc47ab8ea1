package ghstandin_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
)

const (
	repo    = "acme/app"
	headSHA = "2222222222222222222222222222222222222222"
	secret  = "s3cret"
)

// keys are generated once: RSA generation dominates test time otherwise.
var keys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var k [2]*rsa.PrivateKey
	for i := range k {
		var err error
		if k[i], err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	}
	return k
})

// api is a minimal GitHub App client: it signs the App JWT itself, so the
// stand-in's authentication is tested independently of ghinstallation.
type api struct {
	t     *testing.T
	base  string
	appID int64
	key   *rsa.PrivateKey
}

func (a api) jwt(iat, exp time.Time) string {
	a.t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: a.key}, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	claims, _ := json.Marshal(map[string]any{"iss": strconv.FormatInt(a.appID, 10), "iat": iat.Unix(), "exp": exp.Unix()})
	jws, err := sig.Sign(claims)
	if err != nil {
		a.t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

func (a api) do(method, path, auth string, body any) (int, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/vnd.github+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (a api) token(installation int64) string {
	a.t.Helper()
	st, m := a.do("POST", "/app/installations/"+strconv.FormatInt(installation, 10)+"/access_tokens",
		"Bearer "+a.jwt(time.Now().Add(-30*time.Second), time.Now().Add(time.Minute)), map[string]any{})
	if st != 201 {
		a.t.Fatalf("token: %d %v", st, m)
	}
	return "token " + m["token"].(string)
}

func newStandin(t *testing.T, target string) (*ghstandin.Server, api, string) {
	t.Helper()
	return newStandinOpts(t, ghstandin.Options{WebhookTarget: target})
}

func newStandinOpts(t *testing.T, opts ghstandin.Options) (*ghstandin.Server, api, string) {
	t.Helper()
	opts.AppKey, opts.WebhookSecret = keys()[0], secret
	gh := standintest.New(t, opts)
	inst := gh.AddRepo(ghstandin.Repo{FullName: repo})
	gh.AddRepo(ghstandin.Repo{FullName: "other/repo"})
	gh.AddPullRequest(repo, ghstandin.PullRequest{Number: 12, HeadSHA: headSHA, HeadRef: "feature", Author: "dev"})
	gh.SetPermission(repo, "alice", "maintain")
	a := api{t: t, base: gh.URL(), appID: gh.AppID(), key: keys()[0]}
	return gh, a, a.token(inst)
}

func createCheckRun(t *testing.T, a api, tok, summary string) int64 {
	t.Helper()
	st, m := a.do("POST", "/repos/"+repo+"/check-runs", tok, map[string]any{
		"name": "stepgate", "head_sha": headSHA, "external_id": "req-1", "status": "in_progress",
		"output":  map[string]any{"title": "Approval needed", "summary": summary},
		"actions": []map[string]string{{"label": "Approve", "description": "Run it", "identifier": "approve"}},
	})
	if st != 201 {
		t.Fatalf("create check run: %d %v", st, m)
	}
	return int64(m["id"].(float64))
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	gh, a, tok := newStandin(t, "")
	now := time.Now()
	other := api{t: t, base: a.base, appID: a.appID, key: keys()[1]}
	wrongApp := api{t: t, base: a.base, appID: a.appID + 1, key: keys()[0]}
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"valid JWT", "GET", "/app", "Bearer " + a.jwt(now.Add(-time.Minute), now.Add(time.Minute)), 200},
		{"GHES prefix", "GET", "/api/v3/app", "Bearer " + a.jwt(now.Add(-time.Minute), now.Add(time.Minute)), 200},
		{"JWT by another key", "GET", "/app", "Bearer " + other.jwt(now.Add(-time.Minute), now.Add(time.Minute)), 401},
		{"JWT of another App", "GET", "/app", "Bearer " + wrongApp.jwt(now.Add(-time.Minute), now.Add(time.Minute)), 401},
		{"expired JWT", "GET", "/app", "Bearer " + a.jwt(now.Add(-5*time.Minute), now.Add(-time.Minute)), 401},
		{"JWT living too long", "GET", "/app", "Bearer " + a.jwt(now, now.Add(time.Hour)), 401},
		{"token on a JWT route", "GET", "/repos/" + repo + "/installation", tok, 401},
		{"installation lookup", "GET", "/repos/" + repo + "/installation", "Bearer " + a.jwt(now, now.Add(time.Minute)), 200},
		{"token", "GET", "/repos/" + repo + "/collaborators/alice/permission", tok, 200},
		{"bearer token", "GET", "/repos/" + repo + "/collaborators/alice/permission", strings.Replace(tok, "token ", "Bearer ", 1), 200},
		{"no credentials", "GET", "/repos/" + repo + "/collaborators/alice/permission", "", 401},
		{"made-up token", "GET", "/repos/" + repo + "/collaborators/alice/permission", "token ghs_madeup", 401},
		{"other installation's repo", "GET", "/repos/other/repo/collaborators/alice/permission", tok, 404},
	}
	for _, tt := range tests {
		if got, body := a.do(tt.method, tt.path, tt.auth, nil); got != tt.want {
			t.Errorf("%s: %s %s = %d %v, want %d", tt.name, tt.method, tt.path, got, body, tt.want)
		}
	}
	gh.ExpireTokens()
	if got, _ := a.do("GET", "/repos/"+repo+"/collaborators/alice/permission", tok, nil); got != 401 {
		t.Errorf("expired token: %d, want 401", got)
	}
}

func TestCheckRunLimitsAndCallLog(t *testing.T) {
	t.Parallel()
	gh, a, tok := newStandin(t, "")
	start := time.Now()
	id := createCheckRun(t, a, tok, "waiting")
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"four actions", map[string]any{"actions": []map[string]string{
			{"label": "a", "description": "a", "identifier": "a"}, {"label": "b", "description": "b", "identifier": "b"},
			{"label": "c", "description": "c", "identifier": "c"}, {"label": "d", "description": "d", "identifier": "d"}}}, 422},
		{"long label", map[string]any{"actions": []map[string]string{{"label": strings.Repeat("l", 21), "description": "d", "identifier": "i"}}}, 422},
		{"long summary", map[string]any{"output": map[string]any{"title": "t", "summary": strings.Repeat("s", 65536)}}, 422},
		{"ok", map[string]any{"conclusion": "success", "actions": []any{}}, 200},
	}
	for _, tt := range tests {
		if got, body := a.do("PATCH", "/repos/"+repo+"/check-runs/"+strconv.FormatInt(id, 10), tok, tt.body); got != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, got, body, tt.want)
		}
	}
	// The three invalid requests are invalid for GitHub's description too.
	if errs := gh.TakeValidationErrors(); len(errs) != 3 {
		t.Errorf("validation errors = %d, want 3 (one per invalid request): %v", len(errs), errs)
	}
	cr, _ := gh.GetCheckRun(id)
	if cr.Status != "completed" || cr.Conclusion != "success" || len(cr.Actions) != 0 {
		t.Errorf("check run after update: %+v", cr)
	}
	calls := gh.CallsSince(start)
	if len(calls) != 5 || calls[0].Route != "/repos/{owner}/{repo}/check-runs" || calls[1].Route != "/repos/{owner}/{repo}/check-runs/{check_run_id}" || calls[0].Auth != "token" {
		t.Errorf("calls = %+v", calls)
	}
	gh.ResetCalls()
	if len(gh.Calls()) != 0 {
		t.Error("ResetCalls kept calls")
	}
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	gh, a, tok := newStandin(t, "")
	route := "/repos/{owner}/{repo}/collaborators/{username}/permission"
	gh.InjectFault("GET", route, 1, ghstandin.RateLimited(time.Unix(1700000000, 0)))
	gh.InjectFault("GET", route, 1, ghstandin.SecondaryRateLimited(7))
	path := "/repos/" + repo + "/collaborators/alice/permission"
	for _, want := range []int{403, 403, 200} {
		if got, _ := a.do("GET", path, tok, nil); got != want {
			t.Errorf("got %d, want %d", got, want)
		}
	}
}

func TestCallLogBounded(t *testing.T) {
	t.Parallel()
	gh, a, _ := newStandinOpts(t, ghstandin.Options{MaxCalls: 10})
	for range 25 {
		a.do("GET", "/app", "Bearer "+a.jwt(time.Now(), time.Now().Add(time.Minute)), nil)
	}
	if n := len(gh.Calls()); n > 10 || n < 5 {
		t.Errorf("call log holds %d calls, want 5..10", n)
	}
}
