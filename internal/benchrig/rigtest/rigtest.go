// Package rigtest is the rig as tests use it: each helper starts a piece of
// the rig, fails the test when it cannot, and stops it when the test ends.
// The suites under test/ share it so that they start Apps, worlds and
// dynalite the same way.
package rigtest

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/benchrig"
)

// Context bounds a test's waits well inside the CI budget.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// NewWorld starts a benchrig.World in the test's temporary directory.
func NewWorld(t testing.TB) *benchrig.World {
	t.Helper()
	w, err := benchrig.NewWorld(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// ChildLog is where child processes write: the test log with
// STEPGATE_TEST_LOG=1, else nowhere.
func ChildLog(t testing.TB) io.Writer {
	if os.Getenv("STEPGATE_TEST_LOG") == "" {
		return nil
	}
	return tWriter{t}
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// StartApp starts an App child (logging to ChildLog unless cfg.Log is
// set). The test binary's TestMain must call benchrig.RunChildIfRequested.
func StartApp(t testing.TB, ctx context.Context, cfg benchrig.AppConfig) *benchrig.App {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = ChildLog(t)
	}
	app, err := benchrig.StartApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Stop)
	return app
}

// StartDynalite starts a private dynalite (on disk when path is set).
// dynalite comes from node_modules (scripts/test.sh runs npm ci): missing in
// CI is a failure, elsewhere a skip.
func StartDynalite(t testing.TB, path string) *benchrig.Dynalite {
	t.Helper()
	if _, err := benchrig.FindDynalite(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dynalite is required in CI: %v (scripts/test.sh runs npm ci)", err)
		}
		t.Skipf("dynalite not installed (%v); run npm ci", err)
	}
	d, err := benchrig.StartDynalite(path, ChildLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}

// DynamoEndpoint is STEPGATE_TEST_DYNAMODB_ENDPOINT or a private dynalite.
func DynamoEndpoint(t testing.TB) string {
	t.Helper()
	if ep := os.Getenv("STEPGATE_TEST_DYNAMODB_ENDPOINT"); ep != "" {
		return ep
	}
	return StartDynalite(t, "").Endpoint()
}
