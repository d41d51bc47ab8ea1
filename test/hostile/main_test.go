// Package hostile feeds the App (a child process wired like `stepgate
// serve`, on loopback) hostile input: oversized and malformed bodies, wrong
// content types, huge, NUL-laden, bidi and homoglyph commands and comments,
// markdown/HTML breakout attempts, malformed and huge policy files, deeply
// nested shells. Each must get a clear answer, and the App must go on
// serving everyone else.
package hostile

import (
	"context"
	"os"
	"testing"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
)

func TestMain(m *testing.M) {
	benchrig.RunChildIfRequested()
	os.Exit(m.Run())
}

// stillServes proves the App is healthy after hostile input: a normal
// request is created, approved by a click and seen approved.
func stillServes(t *testing.T, ctx context.Context, w *benchrig.World, app *benchrig.App, runID int64) {
	t.Helper()
	api := benchrig.NewAPI(app.URL)
	tok, err := w.Token(runID, app.URL)
	if err != nil {
		t.Fatal(err)
	}
	code, v, err := api.JSON(ctx, "POST", "/api/v1/requests", tok, benchrig.CreateBody("./deploy.sh --after-hostile-input", "after"))
	if err != nil || code != 201 {
		t.Fatalf("App no longer serves: create = %d %v", code, err)
	}
	cr, err := w.CheckRun(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.Standin.SetWebhookTarget(app.URL + "/webhook")
	if st, err := w.Standin.ClickAction(benchrig.Repo, cr, "approve", benchrig.Reviewer); err != nil || st >= 300 {
		t.Fatalf("App no longer serves webhooks: %d %v", st, err)
	}
	code, v, err = api.JSON(ctx, "GET", "/api/v1/requests/"+v.ID, tok, nil)
	if err != nil || code != 200 || v.Status != gate.StatusApproved {
		t.Fatalf("App no longer decides: GET = %d %q %v", code, v.Status, err)
	}
}
