package ghclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

const permRoute = "/repos/{owner}/{repo}/collaborators/{username}/permission"

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     func() ghstandin.Fault
		n         int
		cfg       Config
		wantCalls int
		wantErr   bool
		minWait   time.Duration // smallest acceptable first wait
	}{
		{"500 twice then ok", func() ghstandin.Fault { return ghstandin.ServerError(500) }, 2, Config{}, 3, false, 5 * time.Millisecond},
		{"502 beyond MaxRetries", func() ghstandin.Fault { return ghstandin.ServerError(502) }, 10, Config{MaxRetries: 2}, 3, true, 5 * time.Millisecond},
		{"no retries configured", func() ghstandin.Fault { return ghstandin.ServerError(503) }, 1, Config{MaxRetries: -1}, 1, true, 0},
		{"primary rate limit resetting now", func() ghstandin.Fault { return ghstandin.RateLimited(time.Now()) }, 1, Config{}, 2, false, 5 * time.Millisecond},
		{"primary rate limit resetting in an hour", func() ghstandin.Fault { return ghstandin.RateLimited(time.Now().Add(time.Hour)) }, 1, Config{MaxRetryWait: 5 * time.Second}, 1, true, 0},
		{"429 retry-after", func() ghstandin.Fault { return ghstandin.TooManyRequests(1) }, 2, Config{}, 3, false, time.Second},
		{"secondary rate limit retry-after", func() ghstandin.Fault { return ghstandin.SecondaryRateLimited(2) }, 1, Config{}, 2, false, 2 * time.Second},
		{"retry-after beyond MaxRetryWait", func() ghstandin.Fault { return ghstandin.SecondaryRateLimited(60) }, 1, Config{MaxRetryWait: 10 * time.Second}, 1, true, 0},
		{"plain 403 is final", func() ghstandin.Fault {
			return ghstandin.Fault{Status: 403, Body: `{"message":"Resource not accessible by integration"}`}
		}, 1, Config{}, 1, true, 0},
		{"422 is final", func() ghstandin.Fault { return ghstandin.Fault{Status: 422, Body: `{"message":"Validation Failed"}`} }, 1, Config{}, 1, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, ghstandin.Options{}, tt.cfg)
			f.gh.SetPermission(repoName, "alice", "write")
			f.gh.InjectFault("GET", permRoute, tt.n, tt.fault())
			got, err := f.c.Permission(context.Background(), repoName, "alice")
			if gotErr := err != nil; gotErr != tt.wantErr || (!tt.wantErr && got != "write") {
				t.Fatalf("Permission = %q, %v; want error %v", got, err, tt.wantErr)
			}
			if n := countRoute(f.gh.Calls(), permRoute); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
			waits := f.sl.all()
			if len(waits) != tt.wantCalls-1 {
				t.Errorf("waits = %v, want %d", waits, tt.wantCalls-1)
			}
			if len(waits) > 0 && waits[0] < tt.minWait {
				t.Errorf("first wait %v < %v", waits[0], tt.minWait)
			}
			if err != nil && strings.Contains(err.Error(), "ghs_") {
				t.Errorf("error leaks a token: %v", err)
			}
		})
	}
}

func TestRetryBackoffGrows(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{MaxRetries: 4})
	f.gh.InjectFault("GET", permRoute, 4, ghstandin.ServerError(500))
	if _, err := f.c.Permission(context.Background(), repoName, "alice"); err != nil {
		t.Fatal(err)
	}
	waits := f.sl.all()
	if len(waits) != 4 {
		t.Fatalf("waits = %v", waits)
	}
	base := 10 * time.Millisecond
	for i, w := range waits {
		lo, hi := (base<<i)/2, base<<i
		if w < lo || w > hi {
			t.Errorf("wait %d = %v, want in [%v, %v] (exponential, jittered)", i, w, lo, hi)
		}
	}
}

func TestRateLimitErrorIsClear(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{MaxRetryWait: time.Second})
	f.gh.InjectFault("GET", permRoute, 1, ghstandin.RateLimited(time.Now().Add(time.Hour)))
	_, err := f.c.Permission(context.Background(), repoName, "alice")
	var rle *github.RateLimitError
	if !errors.As(err, &rle) {
		t.Fatalf("err = %v (%T), want a *github.RateLimitError", err, err)
	}
}

func TestTokenCreationRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	f.gh.InjectFault("POST", "/app/installations/{installation_id}/access_tokens", 2, ghstandin.ServerError(500))
	if _, err := f.c.Permission(context.Background(), repoName, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := countRoute(f.gh.Calls(), "/app/installations/{installation_id}/access_tokens"); got != 3 {
		t.Errorf("token calls = %d, want 3", got)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	f.gh.SetPermission(repoName, "alice", "read")
	f.gh.InjectFault("GET", permRoute, 1, ghstandin.ServerError(502))
	if _, err := f.c.Permission(context.Background(), repoName, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		route, status string
		want          float64
	}{
		{permRoute, "502", 1},
		{permRoute, "200", 1},
		{"/repos/{owner}/{repo}/installation", "200", 1},
		{"/app/installations/{installation_id}/access_tokens", "201", 1},
	} {
		got := counterValue(t, f.reg, "stepgate_github_calls_total", map[string]string{"route": tt.route, "status": tt.status})
		if got != tt.want {
			t.Errorf("calls{%s,%s} = %v, want %v", tt.route, tt.status, got, tt.want)
		}
	}
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "acme") || strings.Contains(l.GetValue(), "alice") {
					t.Errorf("%s has a raw path label %s=%s", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestRouteOf(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{"/app", "/app"},
		{"/api/v3/app/installations/42/access_tokens", "/app/installations/{installation_id}/access_tokens"},
		{"/repos/a/b/contents/.github/stepgate.yml", "/repos/{owner}/{repo}/contents/{path}"},
		{"/repos/a/b/issues/3/comments", "/repos/{owner}/{repo}/issues/{issue_number}/comments"},
		{"/repos/a/b/issues/comments/3", "/repos/{owner}/{repo}/issues/comments/{comment_id}"},
		{"/repos/a/b/comments/3", "/repos/{owner}/{repo}/comments/{comment_id}"},
		{"/repos/a/b/check-runs/9", "/repos/{owner}/{repo}/check-runs/{check_run_id}"},
		{"/repos/a/b/releases/1", "other"},
	}
	for _, tt := range tests {
		if got := routeOf(tt.path); got != tt.want {
			t.Errorf("routeOf(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		n      int
		notice string
		want   string
	}{
		{"short", 20, "…", "short"},
		{"Approve and remember forever", 20, "…", "Approve and remem…"},
		{"ééééé", 5, "", "éé"}, // never splits a rune
		{"abc", 2, "long notice", "ab"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n, tt.notice); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestUninstalledRepoRelookedUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	ctx := context.Background()
	if _, err := f.c.Permission(ctx, repoName, "alice"); err != nil {
		t.Fatal(err)
	}
	// The installation disappears without the App hearing of it, and its
	// cached token is still considered fresh by ghinstallation; expire it so
	// the next call asks for a new one and GitHub refuses.
	f.gh.Uninstall(repoName)
	c := f.c
	c.mu.Lock()
	for id := range c.clients {
		delete(c.clients, id) // force token creation for the old installation
	}
	c.mu.Unlock()
	if _, err := c.Permission(ctx, repoName, "alice"); err == nil {
		t.Fatal("call through a removed installation succeeded")
	}
	f.gh.AddRepo(ghstandin.Repo{FullName: repoName}) // reinstalled under a new id
	if _, err := c.Permission(ctx, repoName, "alice"); err != nil {
		t.Errorf("after reinstall: %v", err)
	}
}
