package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// serveRig runs `stepgate serve` (as wired for production) against the
// GitHub stand-in and the local issuer.
type serveRig struct {
	base, metrics string
	gs            *ghstandin.Server
	iss           *oidcissuer.Issuer
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
	rig := &serveRig{base: "http://" + ln.Addr().String(), gs: gs, iss: iss, err: make(chan error, 1)}
	var mln net.Listener
	if metrics {
		if mln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		rig.metrics = "http://" + mln.Addr().String()
	}
	vars := map[string]string{
		"STEPGATE_ALLOWED_OWNERS":     "acme",
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

// Credentials GitHub refuses stop serve with a configuration error (exit
// 2) naming the variables, before it listens.
func TestServeRefusesCredentialsGitHubRefuses(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	for name, env := range map[string]map[string]string{
		"wrong App id":      {"STEPGATE_GITHUB_APP_ID": "999999"},
		"wrong private key": {"STEPGATE_GITHUB_PRIVATE_KEY": otherKey},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rig := startServe(t, env, false)
			select {
			case err := <-rig.err:
				var ce *configError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), "STEPGATE_GITHUB_APP_ID") || !strings.Contains(err.Error(), "GitHub refused the App's credentials") {
					t.Fatalf("serve: %v, want a configuration error naming the App id and key", err)
				}
				if code := exitCodeOf(err); code != 2 {
					t.Errorf("exit status %d, want 2", code)
				}
				t.Log(err)
			case <-time.After(30 * time.Second):
				t.Fatal("serve kept running with credentials GitHub refuses")
			}
		})
	}
}

// A healthy App is ready: the store answers and GitHub accepts the App.
func TestServeReadyzWhenHealthy(t *testing.T) {
	t.Parallel()
	rig := startServe(t, nil, false)
	if code, body := get(t, rig.base+"/readyz"); code != 200 || !strings.Contains(body, `"github":"ok"`) || !strings.Contains(body, `"store":"ok"`) {
		t.Fatalf("/readyz of a healthy App: %d %s", code, body)
	}
}

// A gate token from a repository where the App is not installed, or of an
// owner not allowed, is refused at create with the message the gate prints.
func TestServeRefusesReposOutsideTheApp(t *testing.T) {
	t.Parallel()
	rig := startServe(t, nil, false)
	for repo, want := range map[string]string{
		"acme/not-installed": "the stepgate App is not installed on acme/not-installed",
		"evil/web":           "evil is not an allowed owner",
	} {
		tok := rig.iss.Mint(oidcissuer.Claims{Repository: repo, RepositoryID: "4242", RunID: "1", RunAttempt: "1",
			Actor: "dev", SHA: "00112233445566778899aabbccddeeff00112233", Ref: "refs/heads/main", EventName: "push"}, rig.base, 5*time.Minute)
		var eb gate.ErrorBody
		cmd := "echo hi"
		code := call(t, "POST", rig.base+"/api/v1/requests", tok, gate.CreateRequest{Command: cmd,
			CommandSHA256: gate.CommandHash(cmd, "bash", ""), Shell: "bash", Job: "deploy", Step: "s"}, &eb)
		if code != 403 || !strings.HasPrefix(eb.Error, want) {
			t.Errorf("create from %s: %d %q, want 403 %q", repo, code, eb.Error, want)
		}
	}
}
