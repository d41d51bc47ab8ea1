package server_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/app/wiring"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

// The App of the tests that use the GitHub stand-in is built the way
// `stepgate serve` builds it (app/wiring), with the real GitHub client;
// what the tests set differently is visible in testConfig.

// testConfig is serve's configuration for an App talking to gs: the
// defaults, with polls every 20 ms (fast cross-replica wake-ups), no
// sweeper tick (tests sweep or advance the clock themselves) and the
// policy revalidated on every request (tests change it between steps).
func testConfig(gs *ghstandin.Server, issuer string) wiring.Config {
	c := wiring.DefaultConfig()
	c.PublicURL, c.WebhookSecrets = publicURL, []string{testSecret}
	if issuer != "" { // else serve's default, never asked: no gate API calls
		c.OIDCIssuer = issuer
	}
	c.GitHubAppID, c.GitHubPrivateKey, c.GitHubAPIURL = gs.AppID(), gs.AppPrivateKeyPEM(), gs.URL()
	c.GitHubAppSlug = strings.TrimSuffix(gs.BotLogin(), "[bot]")
	c.PollInterval, c.SweepInterval, c.FileCacheTTL = 20*time.Millisecond, time.Hour, -1
	return c
}

// startApp starts an App (one replica) on st with cfg, serving on
// loopback until the test ends; now, when set, is its clock.
func startApp(t testing.TB, cfg wiring.Config, st store.Store, now func() time.Time) (*wiring.App, string) {
	t.Helper()
	reg := prometheus.NewRegistry() // served on /metrics, as serve does without STEPGATE_METRICS_ADDR
	app, err := wiring.New(context.Background(), cfg, wiring.Options{Store: st, Now: now, Registerer: reg, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(app.Server.Handler())
	t.Cleanup(hs.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = app.Server.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return app, hs.URL
}

// openBolt opens a bolt store in the test's temporary directory.
func openBolt(t testing.TB) store.Store {
	t.Helper()
	st, err := boltstore.Open(boltstore.Options{Path: filepath.Join(t.TempDir(), "stepgate.db"), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
