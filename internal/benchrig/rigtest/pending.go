package rigtest

import (
	"context"
	"testing"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
)

// Pending is a request waiting for a decision, created through the gate
// API as run 1 of the world's repository, with its check run open.
type Pending struct {
	API      *benchrig.API
	Token    string           // run 1's gate token for the App
	Request  gate.RequestView // as the create answered
	CheckRun int64
}

// CreatePending creates a request for command (step names the step) on app
// and waits until its check run is open. The create must answer 201 with
// the request pending: tests that need another answer call the API
// themselves.
func CreatePending(t testing.TB, ctx context.Context, w *benchrig.World, app *benchrig.App, command, step string) Pending {
	t.Helper()
	p := Pending{API: benchrig.NewAPI(app.URL)}
	var err error
	if p.Token, err = w.Token(1, app.URL); err != nil {
		t.Fatal(err)
	}
	code, v, err := p.API.JSON(ctx, "POST", "/api/v1/requests", p.Token, benchrig.CreateBody(command, step))
	if err != nil || code != 201 || v.Status != gate.StatusPending {
		t.Fatalf("create = %d %q %v, want 201 pending", code, v.Status, err)
	}
	p.Request = v
	if p.CheckRun, err = w.CheckRun(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	return p
}
