package faults

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/action"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/benchrig/rigtest"
)

// The App's DynamoDB store (a dynalite child in its on-disk mode) is
// stopped: the gate API answers 503 with a JSON error, a gate fails closed
// without running anything and says why, and once dynalite is back on the
// same directory the pending request is still there and everything
// resumes.
func TestStoreUnreachableFailsClosedAndResumes(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 3*time.Minute)
	w := rigtest.NewWorld(t)
	d := rigtest.StartDynalite(t, filepath.Join(t.TempDir(), "dynalite"))
	cfg := w.AppConfig("dynamodb:" + uniqueTable(t))
	cfg.DynamoEndpoint = d.Endpoint()
	app := rigtest.StartApp(t, ctx, cfg)
	w.Standin.SetWebhookTarget(app.URL + "/webhook")
	p := rigtest.CreatePending(t, ctx, w, app, "./migrate.sh --env prod", "s1")
	api, tok, pending, cr := p.API, p.Token, p.Request, p.CheckRun

	d.Stop()
	start := time.Now()
	code, body, err := api.Raw(ctx, "GET", "/api/v1/requests/"+pending.ID, tok, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var eb gate.ErrorBody
	if code != 503 || json.Unmarshal(body, &eb) != nil || eb.Error == "" {
		t.Errorf("GET with the store down = %d %s, want 503 with a JSON error", code, body)
	}
	t.Logf("503 after %s (the SDK's own retries first)", time.Since(start).Round(time.Millisecond))
	res := w.RunGate(ctx, benchrig.GateSpec{Command: "echo allowed while down", Server: app.URL, RunID: 2,
		Retry: action.RetryPolicy{Attempts: 2, Initial: 200 * time.Millisecond, Max: 200 * time.Millisecond}})
	if res.Exit == 0 {
		t.Errorf("gate exit 0 with the store down, want non-zero")
	}
	if !res.FirstOut.IsZero() {
		t.Errorf("the command ran while the store was down: %q", res.Stdout)
	}
	if !strings.Contains(strings.ToLower(res.Stderr), "nothing was run") && !strings.Contains(strings.ToLower(res.Stderr), "not run") {
		t.Errorf("gate log does not say the command was not run:\n%s", res.Stderr)
	}
	if status, err := w.Standin.ClickAction(benchrig.Repo, cr, "approve", benchrig.Reviewer); err == nil && status < 300 {
		t.Errorf("a click while the store is down was accepted (%d): GitHub would not redeliver it", status)
	}

	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	code, v, err := api.JSON(ctx, "GET", "/api/v1/requests/"+pending.ID, tok, nil)
	if err != nil || code != 200 || v.Status != gate.StatusPending {
		t.Fatalf("after dynalite restart: GET = %d %q %v, want the request still pending", code, v.Status, err)
	}
	if status, err := w.Standin.ClickAction(benchrig.Repo, cr, "approve", benchrig.Reviewer); err != nil || status >= 300 {
		t.Fatalf("click after recovery = %d, %v", status, err)
	}
	res = w.RunGate(ctx, benchrig.GateSpec{Command: "echo allowed after recovery", Server: app.URL, RunID: 3, Timeout: 30 * time.Second})
	if res.Exit != 0 {
		t.Fatalf("gate after recovery: exit %d:\n%s", res.Exit, res.Stderr)
	}
	code, v, err = api.JSON(ctx, "GET", "/api/v1/requests/"+pending.ID, tok, nil)
	if err != nil || code != 200 || v.Status != gate.StatusApproved {
		t.Errorf("after the click: GET = %d %q %v, want approved", code, v.Status, err)
	}
}
