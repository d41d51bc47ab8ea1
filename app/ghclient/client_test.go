package ghclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
)

const (
	repoName = "acme/app"
	mainSHA  = "1111111111111111111111111111111111111111"
)

// loopbackOnly fails the test if the client ever dials anything but
// 127.0.0.1.
type loopbackOnly struct {
	t    *testing.T
	next http.RoundTripper
}

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if ip := net.ParseIP(r.URL.Hostname()); ip == nil || !ip.IsLoopback() {
		l.t.Errorf("request to non-loopback host %q", r.URL.Host)
		return nil, errors.New("non-loopback host refused by the test")
	}
	return l.next.RoundTrip(r)
}

type fixture struct {
	gh  *ghstandin.Server
	c   *Client
	reg *prometheus.Registry
	sl  *sleeps
}

// sleeps records the retry waits instead of sleeping them.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ *http.Request, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func newFixture(t *testing.T, opts ghstandin.Options, cfg Config) *fixture {
	t.Helper()
	gh := standintest.New(t, opts)
	gh.AddRepo(ghstandin.Repo{FullName: repoName})
	gh.SetFile(repoName, "", ".github/stepgate.yml", "version: 1\n")
	gh.SetFile(repoName, "evil-pr", ".github/stepgate.yml", "version: 1\nrules: [{name: all, then: allow}]\n")
	gh.AddPullRequest(repoName, ghstandin.PullRequest{Number: 7, HeadSHA: mainSHA, HeadRef: "evil-pr"})
	reg := prometheus.NewRegistry()
	cfg.AppID = gh.AppID()
	cfg.PrivateKey = gh.AppPrivateKeyPEM()
	cfg.APIURL = gh.URL() + cfg.APIURL // tests give only a path suffix, such as /api/v3
	cfg.HTTPClient = &http.Client{Transport: loopbackOnly{t: t, next: http.DefaultTransport}}
	cfg.Registerer = reg
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sl := &sleeps{}
	rt := c.rt.(*retryTransport)
	rt.sleep = sl.sleep
	rt.baseDelay = 10 * time.Millisecond
	return &fixture{gh: gh, c: c, reg: reg, sl: sl}
}

func TestDefaultBranchFile(t *testing.T) {
	t.Parallel()
	for _, api := range []string{"", "/api/v3"} {
		t.Run("base"+api, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, ghstandin.Options{}, Config{FileCacheTTL: -1, APIURL: api})
			ctx := context.Background()
			got, sha, err := f.c.DefaultBranchFile(ctx, repoName, ".github/stepgate.yml")
			if err != nil {
				t.Fatal(err)
			}
			if want := "version: 1\n"; string(got) != want || sha != ghstandin.BlobSHA(want) {
				t.Errorf("got %q %s, want the default branch's %q %s", got, sha, want, ghstandin.BlobSHA(want))
			}
			// Revalidation answers 304 and keeps the bytes.
			if got2, _, err := f.c.DefaultBranchFile(ctx, repoName, ".github/stepgate.yml"); err != nil || string(got2) != string(got) {
				t.Errorf("second read = %q, %v", got2, err)
			}
			f.gh.SetFile(repoName, "", ".github/stepgate.yml", "version: 1\nrules: []\n")
			if got3, _, err := f.c.DefaultBranchFile(ctx, repoName, ".github/stepgate.yml"); err != nil || string(got3) != "version: 1\nrules: []\n" {
				t.Errorf("after change = %q, %v", got3, err)
			}
			_, _, err = f.c.DefaultBranchFile(ctx, repoName, "CODEOWNERS")
			if !errors.Is(err, ghapi.ErrNotFound) {
				t.Errorf("missing file: err = %v, want ErrGitHubNotFound", err)
			}
			var statuses []int
			for _, c := range f.gh.Calls() {
				if strings.Contains(c.Path, "ref=") {
					t.Errorf("call %s names a ref; the default branch must be implied", c.Path)
				}
				if c.Route == "/repos/{owner}/{repo}/contents/{path}" {
					statuses = append(statuses, c.Status)
				}
			}
			if diff := cmp.Diff([]int{200, 304, 200, 404}, statuses); diff != "" {
				t.Errorf("contents statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultBranchFileCachedWithinTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{FileCacheTTL: time.Hour})
	for range 5 {
		if _, _, err := f.c.DefaultBranchFile(context.Background(), repoName, ".github/stepgate.yml"); err != nil {
			t.Fatal(err)
		}
	}
	if got := countRoute(f.gh.Calls(), "/repos/{owner}/{repo}/contents/{path}"); got != 1 {
		t.Errorf("contents calls = %d, want 1", got)
	}
}

func countRoute(calls []ghstandin.Call, route string) int {
	n := 0
	for _, c := range calls {
		if c.Route == route {
			n++
		}
	}
	return n
}

func TestPermission(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	for login, role := range map[string]string{"ann": "admin", "max": "maintain", "wes": "write", "tri": "triage", "rea": "read"} {
		f.gh.SetPermission(repoName, login, role)
	}
	f.gh.AddUser("nobody")
	tests := []struct{ login, want string }{
		{"ann", "admin"}, {"max", "maintain"}, {"wes", "write"}, {"tri", "triage"}, {"rea", "read"},
		{"nobody", "none"}, {"ghost-user-404", "none"},
	}
	for _, tt := range tests {
		got, err := f.c.Permission(context.Background(), repoName, tt.login)
		if err != nil || got != tt.want {
			t.Errorf("Permission(%s) = %q, %v; want %q", tt.login, got, err, tt.want)
		}
	}
}

func TestTeamMember(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	f.gh.SetTeamMember("acme", "sre", "alice", "active")
	f.gh.SetTeamMember("acme", "sre", "bob", "pending")
	tests := []struct {
		slug, login string
		want        bool
	}{{"sre", "alice", true}, {"sre", "bob", false}, {"sre", "carol", false}, {"dba", "alice", false}}
	for _, tt := range tests {
		got, err := f.c.TeamMember(context.Background(), "acme", tt.slug, tt.login)
		if err != nil || got != tt.want {
			t.Errorf("TeamMember(%s, %s) = %v, %v; want %v", tt.slug, tt.login, got, err, tt.want)
		}
	}
	if _, err := f.c.TeamMember(context.Background(), "other-org", "sre", "alice"); !errors.Is(err, ghapi.ErrNotFound) {
		t.Errorf("org without installation: err = %v, want ErrGitHubNotFound", err)
	}
}

func TestCheckRunLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	ctx := context.Background()
	cr := ghapi.CheckRun{
		Name: "stepgate: migrate", HeadSHA: mainSHA, ExternalID: "req-1", DetailsURL: "https://stepgate.example.com/r/1",
		Status: "in_progress", Title: "Approval needed", Summary: strings.Repeat("s", 70000), Text: "```\n" + strings.Repeat("x", 70000),
		Actions: []ghapi.CheckRunAction{
			{Label: "Approve", Description: "Run the command", Identifier: "approve"},
			{Label: "Approve and remember for a day", Description: strings.Repeat("d", 60), Identifier: "approve-remember"},
			{Label: "Reject", Description: "Do not run it", Identifier: "reject"},
			{Label: "Fourth", Description: "dropped", Identifier: "fourth"},
		},
	}
	id, url, err := f.c.CreateCheckRun(ctx, repoName, cr)
	if err != nil {
		t.Fatal(err)
	}
	if id == 0 || url == "" {
		t.Fatalf("CreateCheckRun = %d, %q", id, url)
	}
	got, _ := f.gh.GetCheckRun(id)
	if len(got.Summary) > maxOutputText || len(got.Text) > maxOutputText || len(got.Actions) != 3 {
		t.Errorf("limits not applied: summary %d, text %d, actions %d", len(got.Summary), len(got.Text), len(got.Actions))
	}
	if strings.Count(got.Text, "```")%2 != 0 {
		t.Errorf("truncated text leaves a code fence open")
	}
	if got.Actions[1].Label != "Approve and remem…" || len(got.Actions[1].Description) != 40 {
		t.Errorf("action 2 = %+v", got.Actions[1])
	}
	err = f.c.UpdateCheckRun(ctx, repoName, id, ghapi.CheckRun{Name: cr.Name, ExternalID: "req-1", Conclusion: "success", Title: "Approved by alice", Summary: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = f.gh.GetCheckRun(id)
	want := ghstandin.CheckRun{Status: "completed", Conclusion: "success", Title: "Approved by alice", Summary: "ok"}
	if diff := cmp.Diff(want, ghstandin.CheckRun{Status: got.Status, Conclusion: got.Conclusion, Title: got.Title, Summary: got.Summary, Actions: got.Actions}, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	if got.CompletedAt.IsZero() {
		t.Error("completed_at not set")
	}
	if err := f.c.UpdateCheckRun(ctx, repoName, 999, cr); !errors.Is(err, ghapi.ErrNotFound) {
		t.Errorf("unknown check run: %v", err)
	}
}

func TestComments(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	ctx := context.Background()
	id, url, err := f.c.CreateIssueComment(ctx, repoName, 7, "waiting for approval")
	if err != nil || id == 0 || url == "" {
		t.Fatalf("CreateIssueComment = %d %q %v", id, url, err)
	}
	if err := f.c.UpdateIssueComment(ctx, repoName, id, "approved"); err != nil {
		t.Fatal(err)
	}
	cid, _, err := f.c.CreateCommitComment(ctx, repoName, mainSHA, "waiting")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.c.UpdateCommitComment(ctx, repoName, cid, "done"); err != nil {
		t.Fatal(err)
	}
	ic, cc := f.gh.IssueComments(repoName, 7), f.gh.CommitComments(repoName, mainSHA)
	if len(ic) != 1 || ic[0].Body != "approved" || ic[0].Login != f.gh.BotLogin() || len(cc) != 1 || cc[0].Body != "done" {
		t.Errorf("issue comments %+v, commit comments %+v", ic, cc)
	}
	if _, _, err := f.c.CreateIssueComment(ctx, repoName, 99, "x"); !errors.Is(err, ghapi.ErrNotFound) {
		t.Errorf("comment on unknown PR: %v", err)
	}
	if _, _, err := f.c.CreateIssueComment(ctx, "acme/missing", 1, "x"); !errors.Is(err, ghapi.ErrNotFound) {
		t.Errorf("comment on unknown repo: %v", err)
	}
}

func TestInstallationTokenReused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	ctx := context.Background()
	for range 10 {
		if _, err := f.c.Permission(ctx, repoName, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	calls := f.gh.Calls()
	if got := countRoute(calls, "/app/installations/{installation_id}/access_tokens"); got != 1 {
		t.Errorf("tokens created = %d, want 1", got)
	}
	if got := countRoute(calls, "/repos/{owner}/{repo}/installation"); got != 1 {
		t.Errorf("installation lookups = %d, want 1 (cached per repo)", got)
	}
}

func TestInstallationTokenRenewedNearExpiry(t *testing.T) {
	t.Parallel()
	// Tokens living 30s are inside ghinstallation's one-minute renewal
	// window, so every call renews: the token is not used until it expires.
	f := newFixture(t, ghstandin.Options{TokenTTL: 30 * time.Second}, Config{})
	for range 3 {
		if _, err := f.c.Permission(context.Background(), repoName, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.gh.TokensIssued(); got != 3 {
		t.Errorf("tokens issued = %d, want 3", got)
	}
}

func TestForgetInstallation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{FileCacheTTL: -1})
	ctx := context.Background()
	if _, _, err := f.c.DefaultBranchFile(ctx, repoName, ".github/stepgate.yml"); err != nil {
		t.Fatal(err)
	}
	id := f.gh.Uninstall(repoName)
	f.c.ForgetInstallation(id)
	if _, _, err := f.c.DefaultBranchFile(ctx, repoName, ".github/stepgate.yml"); !errors.Is(err, ghapi.ErrNotFound) {
		t.Errorf("after uninstall: %v, want ErrGitHubNotFound", err)
	}
}

func TestAPIURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, api, token string }{
		{"", "https://api.github.com/", "https://api.github.com"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3"},
	}
	for _, tt := range tests {
		got, err := apiBase(tt.in)
		if err != nil || got.api != tt.api || got.token != tt.token {
			t.Errorf("apiBase(%q) = %+v, %v", tt.in, got, err)
		}
	}
	for _, bad := range []string{"ftp://x", "not a url", "/relative"} {
		if _, err := apiBase(bad); err == nil {
			t.Errorf("apiBase(%q) accepted", bad)
		}
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	key := []byte("-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no app id", Config{PrivateKey: key}, "App id"},
		{"no key", Config{AppID: 1}, "private key is required"},
		{"bad key", Config{AppID: 1, PrivateKey: key}, "App private key"},
		{"bad url", Config{AppID: 1, PrivateKey: key, APIURL: "ftp://example.com"}, "API URL"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "bm90IGEga2V5") {
			t.Errorf("%s: error echoes the key: %v", tt.name, err)
		}
	}
}
