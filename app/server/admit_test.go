package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// installGitHub is the fake GitHub that also answers the installation and
// App checks, each settable per test.
type installGitHub struct {
	*fakeGitHub
	mu        sync.Mutex
	installed map[string]error // repo -> CheckInstalled's answer (nil: installed)
	app       error            // CheckApp's answer
	appCalls  atomic.Int64
}

func (g *installGitHub) CheckInstalled(_ context.Context, repo string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.installed[repo]
}

func (g *installGitHub) CheckApp(context.Context) error {
	g.appCalls.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.app
}

func (g *installGitHub) set(f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f()
}

func errorBody(t *testing.T, b []byte) gate.ErrorBody {
	t.Helper()
	var e gate.ErrorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	return e
}

func TestCreateRefusedForOwnersNotAllowed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{config: func(c *Config) { c.AllowedOwners = []string{"ACME", "octo"} }})
	resp, b := h.do("POST", "/api/v1/requests", h.token("evil/web", 909, 1, nil), cmdBody("echo hi"))
	e := errorBody(t, b)
	if resp.StatusCode != http.StatusForbidden || e.Code != gate.ErrorCodeOwnerNotAllowed || !strings.HasPrefix(e.Error, "evil is not an allowed owner") {
		t.Fatalf("create from evil/web: %d %s", resp.StatusCode, b)
	}
	// Owners compare case-insensitively, as GitHub's logins do.
	if code, v := h.create(h.newRun(), cmdBody("echo hi")); code != http.StatusCreated {
		t.Fatalf("create from %s: %d %+v", repoA, code, v)
	}
}

func TestCreateRefusedWhereTheAppIsNotInstalled(t *testing.T) {
	t.Parallel()
	var gh *installGitHub
	h := newHarness(t, harnessOpts{config: func(c *Config) {
		gh = &installGitHub{fakeGitHub: c.GitHub.(*fakeGitHub), installed: map[string]error{
			repoB: ghapi.ErrNotInstalled, "acme/paused": ghapi.ErrInstallationSuspended, "acme/flaky": errors.New("502 from GitHub")}}
		c.GitHub = gh
	}})
	for _, tc := range []struct {
		repo     string
		code     int
		errCode  string
		contains string
	}{
		{repoB, http.StatusForbidden, gate.ErrorCodeNotInstalled, "the stepgate App is not installed on acme/other"},
		{"acme/paused", http.StatusForbidden, gate.ErrorCodeNotInstalled, "installation on acme/paused is suspended"},
		{"acme/flaky", http.StatusServiceUnavailable, "", "cannot reach GitHub"},
	} {
		resp, b := h.do("POST", "/api/v1/requests", h.token(tc.repo, 303, 1, nil), cmdBody("echo hi"))
		e := errorBody(t, b)
		if resp.StatusCode != tc.code || e.Code != tc.errCode || !strings.Contains(e.Error, tc.contains) {
			t.Errorf("create from %s: %d %s, want %d %q", tc.repo, resp.StatusCode, b, tc.code, tc.contains)
		}
	}
	if calls := h.gh.callCount(); calls != 0 {
		t.Errorf("refused creates made %d GitHub calls (check runs, comments, files)", calls)
	}
	if code, _ := h.create(h.newRun(), cmdBody("echo hi")); code != http.StatusCreated {
		t.Fatalf("create from the installed %s: %d", repoA, code)
	}
}

// downStore fails every read while down is set.
type downStore struct {
	store.Store
	down atomic.Bool
}

func (d *downStore) GetRequest(ctx context.Context, id string) (*gate.Request, error) {
	if d.down.Load() {
		return nil, store.ErrUnavailable
	}
	return d.Store.GetRequest(ctx, id)
}

func TestReadyzReportsStoreAndGitHub(t *testing.T) {
	t.Parallel()
	var gh *installGitHub
	var st *downStore
	h := newHarness(t, harnessOpts{config: func(c *Config) {
		gh = &installGitHub{fakeGitHub: c.GitHub.(*fakeGitHub)}
		st = &downStore{Store: c.Store}
		c.GitHub, c.Store, c.ReadyCacheTTL = gh, st, time.Nanosecond
	}})
	ready := func(want int, wantBody string) {
		t.Helper()
		resp, b := h.do("GET", "/readyz", "", nil)
		if resp.StatusCode != want || !strings.Contains(string(b), wantBody) {
			t.Errorf("/readyz: %d %s, want %d with %s", resp.StatusCode, b, want, wantBody)
		}
	}
	ready(200, `"status":"ready"`)
	st.down.Store(true)
	ready(503, `"store":"unreachable"`)
	st.down.Store(false)
	ready(200, `"store":"ok"`)
	gh.set(func() { gh.app = errors.New("dial tcp: connection refused") })
	ready(503, `"github":"unreachable"`)
	gh.set(func() { gh.app = ghapi.ErrAppCredentials })
	ready(503, `"github":"credentials refused"`)
	gh.set(func() { gh.app = nil })
	ready(200, `"github":"ok"`)
}

// Probes are answered from a cache: a probe storm costs GitHub one call per TTL.
func TestReadyzIsCached(t *testing.T) {
	t.Parallel()
	var gh *installGitHub
	h := newHarness(t, harnessOpts{config: func(c *Config) {
		gh = &installGitHub{fakeGitHub: c.GitHub.(*fakeGitHub)}
		c.GitHub, c.ReadyCacheTTL = gh, time.Hour
	}})
	for range 50 {
		h.do("GET", "/readyz", "", nil)
	}
	if n := gh.appCalls.Load(); n != 1 {
		t.Errorf("50 probes made %d GET /app calls, want 1", n)
	}
}
