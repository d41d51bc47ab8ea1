package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

// noRetries is a client that answers GitHub's errors at once, so a
// test's injected faults are not retried away (or slept on).
func noRetries(c *ghclient.Config) { c.MaxRetries = -1 }

// suspended is GitHub's answer to "the installation on this repository"
// when it is suspended: the stand-in's installation with suspended_at set.
func suspended(t *testing.T, gs *standinGitHub) ghstandin.Fault {
	t.Helper()
	p, err := gs.InstallationPayload("created", repoA, "octo-admin")
	if err != nil {
		t.Fatal(err)
	}
	in := obj(p, "installation")
	in["suspended_at"], in["suspended_by"] = time.Now().UTC().Format(time.RFC3339), p["sender"]
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return ghstandin.Fault{Status: http.StatusOK, Body: string(b)}
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
	h := newHarness(t, harnessOpts{client: noRetries})
	h.gh.AddRepo(ghstandin.Repo{FullName: repoB, NotInstalled: true})
	const installation = "/repos/{owner}/{repo}/installation"
	for _, tc := range []struct {
		repo     string
		fault    *ghstandin.Fault // GitHub's answer to the installation lookup, when not the stand-in's
		code     int
		errCode  string
		contains string
	}{
		{repoB, nil, http.StatusForbidden, gate.ErrorCodeNotInstalled, "the stepgate App is not installed on acme/other"},
		{"acme/paused", ptr(suspended(t, h.gh)), http.StatusForbidden, gate.ErrorCodeNotInstalled, "installation on acme/paused is suspended"},
		{"acme/flaky", ptr(ghstandin.ServerError(502)), http.StatusServiceUnavailable, "", "cannot reach GitHub"},
	} {
		if tc.fault != nil {
			h.gh.InjectFault("GET", installation, 1, *tc.fault)
		}
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

func ptr[T any](v T) *T { return &v }

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
	var st *downStore
	h := newHarness(t, harnessOpts{client: noRetries, config: func(c *Config) {
		st = &downStore{Store: c.Store}
		c.Store, c.ReadyCacheTTL = st, time.Nanosecond
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
	h.gh.InjectFault("GET", "/app", 1, ghstandin.ServerError(502))
	ready(503, `"github":"unreachable"`)
	h.gh.InjectFault("GET", "/app", 1, ghstandin.Fault{Status: http.StatusUnauthorized,
		Body: `{"message":"A JSON web token could not be decoded","documentation_url":"https://docs.github.com/rest"}`})
	ready(503, `"github":"credentials refused"`)
	ready(200, `"github":"ok"`)
}

// Probes are answered from a cache: a probe storm costs GitHub one call per TTL.
func TestReadyzIsCached(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{config: func(c *Config) { c.ReadyCacheTTL = time.Hour }})
	for range 50 {
		h.do("GET", "/readyz", "", nil)
	}
	if n := h.gh.callsOfRoute("GET", "/app"); n != 1 {
		t.Errorf("50 probes made %d GET /app calls, want 1", n)
	}
}
