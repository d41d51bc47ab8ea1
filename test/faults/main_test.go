// Package faults tests stepgate under failure with real processes on
// loopback: the App (a child process wired like `stepgate serve`) killed
// mid-wait, its store (a dynalite child) stopped, the GitHub API answering
// errors and rate limits, webhook redelivery storms, and two reviewers
// deciding at once on two replicas.
package faults

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/bench/rig"
)

func TestMain(m *testing.M) {
	rig.RunChildIfRequested()
	os.Exit(m.Run())
}

// ctxFor bounds a test's waits well inside the CI budget.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newWorld(t *testing.T) *rig.World {
	t.Helper()
	w, err := rig.NewWorld(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// childLog is where App children write: the test log with
// STEPGATE_TEST_LOG=1, else nowhere.
func childLog(t *testing.T) io.Writer {
	if os.Getenv("STEPGATE_TEST_LOG") == "" {
		return nil
	}
	return tWriter{t}
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func startApp(t *testing.T, ctx context.Context, cfg rig.AppConfig) *rig.App {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = childLog(t)
	}
	app, err := rig.StartApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Stop)
	return app
}

// startDynalite starts a private dynalite (on disk when path is set).
// dynalite comes from node_modules (scripts/test.sh runs npm ci): missing in
// CI is a failure, elsewhere a skip.
func startDynalite(t *testing.T, path string) *rig.Dynalite {
	t.Helper()
	if _, err := rig.FindDynalite(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dynalite is required in CI: %v (scripts/test.sh runs npm ci)", err)
		}
		t.Skipf("dynalite not installed (%v); run npm ci", err)
	}
	d, err := rig.StartDynalite(path, childLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}

// dynamoEndpoint is STEPGATE_TEST_DYNAMODB_ENDPOINT or a private dynalite.
func dynamoEndpoint(t *testing.T) string {
	t.Helper()
	if ep := os.Getenv("STEPGATE_TEST_DYNAMODB_ENDPOINT"); ep != "" {
		return ep
	}
	return startDynalite(t, "").Endpoint()
}

func uniqueTable(t *testing.T) string {
	return "stepgate-faults-" + strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name())) +
		"-" + time.Now().Format("150405.000000")
}
