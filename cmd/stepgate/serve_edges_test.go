package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// serveRig runs `stepgate serve` (as wired for production) against the
// GitHub stand-in and the local issuer.
type serveRig struct {
	base, metrics string
	gs            *ghstandin.Server
	err           chan error
}

// startServe starts serve with the rig's configuration changed by env;
// metrics gives it a separate metrics listener.
func startServe(t *testing.T, env map[string]string, metrics bool) *serveRig {
	t.Helper()
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: "s"})
	iss, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rig := &serveRig{base: "http://" + ln.Addr().String(), gs: gs, err: make(chan error, 1)}
	var mln net.Listener
	if metrics {
		if mln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		rig.metrics = "http://" + mln.Addr().String()
	}
	vars := map[string]string{
		"STEPGATE_PUBLIC_URL":         rig.base + "/",
		"STEPGATE_STORE":              "bolt:" + filepath.Join(t.TempDir(), "rig.db"),
		"STEPGATE_GITHUB_APP_ID":      fmt.Sprint(gs.AppID()),
		"STEPGATE_GITHUB_PRIVATE_KEY": string(gs.AppPrivateKeyPEM()),
		"STEPGATE_WEBHOOK_SECRET":     "s",
		"STEPGATE_GITHUB_API_URL":     gs.URL(),
		"STEPGATE_OIDC_ISSUER":        iss.URL(),
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := parseServeConfig(nil, func(k string) string { return vars[k] }, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { rig.err <- serve(ctx, cfg, slog.New(slog.DiscardHandler), ln, mln) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return rig
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// With STEPGATE_METRICS_ADDR, /metrics is served there and not on the
// public listener.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	t.Parallel()
	rig := startServe(t, nil, true)
	if code, _ := get(t, rig.base+"/healthz"); code != 200 {
		t.Fatalf("public /healthz: %d", code)
	}
	if code, body := get(t, rig.base+"/metrics"); code != 404 || strings.Contains(body, "stepgate_") {
		t.Errorf("public /metrics: %d %.80s, want 404 without metrics", code, body)
	}
	if code, body := get(t, rig.metrics+"/metrics"); code != 200 || !strings.Contains(body, "stepgate_pending_requests") {
		t.Errorf("metrics listener /metrics: %d %.80s", code, body)
	}
}
