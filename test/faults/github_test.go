package faults

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/benchrig/rigtest"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

const routeCheckRuns = "/repos/{owner}/{repo}/check-runs"

// GitHub answers 5xx, a primary rate limit (403, x-ratelimit-remaining: 0),
// 429 with retry-after and a secondary rate limit while the App opens the
// check run and re-checks the approver: the App retries with back-off
// (honouring retry-after and the reset time), and the request is neither
// lost nor decided wrongly.
func TestGitHubErrorsAreRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	app := rigtest.StartApp(t, ctx, w.AppConfig("bolt:"+t.TempDir()+"/stepgate.db"))
	w.Standin.SetWebhookTarget(app.URL + "/webhook")
	s := w.Standin
	// Warm the installation token and the policy file, so the faults hit
	// the calls under test.
	if res := w.RunGate(ctx, benchrig.GateSpec{Command: "echo allowed warm-up", Server: app.URL, RunID: 1}); res.Exit != 0 {
		t.Fatalf("warm-up gate: exit %d:\n%s", res.Exit, res.Stderr)
	}
	s.InjectFault("POST", routeCheckRuns, 1, ghstandin.ServerError(http.StatusBadGateway))
	s.InjectFault("POST", routeCheckRuns, 1, ghstandin.RateLimited(time.Now().Add(time.Second)))
	s.InjectFault("POST", routeCheckRuns, 1, ghstandin.TooManyRequests(1))
	s.InjectFault("POST", routeCheckRuns, 1, ghstandin.SecondaryRateLimited(1))
	for _, r := range []string{"/repos/{owner}/{repo}/collaborators/{username}/permission", "/orgs/{org}/teams/{team_slug}/memberships/{username}"} {
		s.InjectFault("GET", r, 2, ghstandin.ServerError(http.StatusServiceUnavailable))
	}
	from := time.Now()
	spec := benchrig.GateSpec{Command: "echo deploying eu-west-1", Server: app.URL, RunID: 2}
	id := w.RequestID(spec)
	done := make(chan benchrig.GateResult, 1)
	go func() { done <- w.RunGate(ctx, spec) }()
	cr, err := w.CheckRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if status, err := s.ClickAction(benchrig.Repo, cr, "approve", benchrig.Reviewer); err != nil || status >= 300 {
		t.Fatalf("click = %d, %v", status, err)
	}
	res := <-done
	if res.Exit != 0 {
		t.Fatalf("gate exit %d after GitHub errors, want 0:\n%s", res.Exit, res.Stderr)
	}
	// Read the call log once everything is done: the stand-in logs a call
	// after answering it.
	var got []string
	var gaps []time.Duration
	var last time.Time
	for _, c := range s.CallsSince(from) {
		if c.Method == "POST" && c.Route == routeCheckRuns {
			got = append(got, fmt.Sprint(c.Status))
			if !last.IsZero() {
				gaps = append(gaps, c.Time.Sub(last))
			}
			last = c.Time
		}
	}
	if want := "[502 403 429 403 201]"; fmt.Sprint(got) != want {
		t.Errorf("check run creation answers = %v, want %s", got, want)
	}
	// After the 429 and the secondary limit (retry-after: 1) the App waited.
	if len(gaps) == 4 && (gaps[2] < 900*time.Millisecond || gaps[3] < 900*time.Millisecond) {
		t.Errorf("retries after retry-after: 1 came after %v, want ≥ 1 s", gaps[2:])
	}
}

// When GitHub keeps failing beyond the retry budget, the request is still
// stored (pending), and the gate's repeated create opens the check run
// once GitHub is back.
func TestGitHubDownKeepsTheRequest(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	app := rigtest.StartApp(t, ctx, w.AppConfig("bolt:"+t.TempDir()+"/stepgate.db"))
	w.Standin.SetWebhookTarget(app.URL + "/webhook")
	w.Standin.InjectFault("POST", routeCheckRuns, 20, ghstandin.ServerError(http.StatusBadGateway))
	api := benchrig.NewAPI(app.URL)
	tok, err := w.Token(1, app.URL)
	if err != nil {
		t.Fatal(err)
	}
	body := benchrig.CreateBody("./migrate.sh --env prod", "s1")
	code, v, err := api.JSON(ctx, "POST", "/api/v1/requests", tok, body)
	if err != nil || code >= 300 {
		t.Fatalf("create while GitHub fails = %d %v", code, err)
	}
	if v.Status != gate.StatusPending {
		t.Fatalf("status %q, want pending", v.Status)
	}
	for _, c := range w.Standin.CheckRuns(benchrig.Repo) {
		if c.ExternalID == v.ID {
			t.Fatalf("a check run exists although every creation failed")
		}
	}
	// Each repeated create (what the gate's retry sends) tries GitHub again
	// and uses up the injected failures; then GitHub answers again.
	for range 20 {
		code, again, err := api.JSON(ctx, "POST", "/api/v1/requests", tok, body)
		if err != nil || code != http.StatusOK || again.ID != v.ID {
			t.Fatalf("repeated create = %d %q %v, want 200 with the same request", code, again.ID, err)
		}
		if again.CheckRunURL != "" {
			break
		}
	}
	if _, err := w.CheckRun(rigtest.Context(t, 10*time.Second), v.ID); err != nil {
		t.Fatalf("the check run was never opened after GitHub recovered: %v", err)
	}
}
