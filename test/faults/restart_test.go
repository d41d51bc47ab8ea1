package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/benchrig/rigtest"
	"github.com/stepgate/stepgate/internal/testutil"
)

// The App is SIGKILLed while a gate long-polls and restarted on the same
// bolt file and port: the pending request survives, the gate's retries
// reach the new process, the click is delivered to it, and the command
// runs exactly once.
func TestAppKilledMidWaitLosesNothing(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	cfg := w.AppConfig("bolt:" + filepath.Join(t.TempDir(), "stepgate.db"))
	addr, err := benchrig.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.Log = addr, rigtest.ChildLog(t)
	first, err := benchrig.StartApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.Standin.SetWebhookTarget(first.URL + "/webhook")

	marker := filepath.Join(t.TempDir(), "runs")
	spec := benchrig.GateSpec{Command: "echo ran >> " + marker + " && echo done", Server: first.URL, RunID: 1, PollWait: 5 * time.Second}
	id := w.RequestID(spec)
	done := make(chan benchrig.GateResult, 1)
	go func() { done <- w.RunGate(ctx, spec) }()
	cr, err := w.CheckRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// Kill the App only once the gate is parked in its long poll there.
	testutil.Eventually(t, 30*time.Second, testutil.GatesWaiting(first.URL, 1), "the gate to long-poll the first App (stepgate_waiting_gates >= 1)")

	first.Kill()
	second := rigtest.StartApp(t, ctx, cfg) // same file, same port
	tok, err := w.Token(1, second.URL)
	if err != nil {
		t.Fatal(err)
	}
	code, v, err := benchrig.NewAPI(second.URL).JSON(ctx, "GET", "/api/v1/requests/"+id, tok, nil)
	if err != nil || code != 200 || v.Status != gate.StatusPending {
		t.Fatalf("after restart: GET = %d %q %v, want 200 pending", code, v.Status, err)
	}
	if status, err := w.Standin.ClickAction(benchrig.Repo, cr, "approve", benchrig.Reviewer); err != nil || status >= 300 {
		t.Fatalf("click after restart = %d, %v", status, err)
	}
	res := <-done
	if res.Exit != 0 {
		t.Fatalf("gate exit %d, want 0:\n%s", res.Exit, res.Stderr)
	}
	b, err := os.ReadFile(marker)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "ran"); got != 1 {
		t.Errorf("command ran %d times, want exactly 1", got)
	}
	// The result report reached the new process too.
	code, v, err = benchrig.NewAPI(second.URL).JSON(ctx, "GET", "/api/v1/requests/"+id, tok, nil)
	if err != nil || code != 200 || v.Status != gate.StatusApproved {
		t.Errorf("final GET = %d %q %v, want 200 approved", code, v.Status, err)
	}
}
