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
	"maps"
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
	ln, mln       net.Listener // mln: nil without a metrics listener
	gs            *ghstandin.Server
	iss           *oidcissuer.Issuer
	err           chan error
}

// startServe starts serve with the rig's configuration changed by env;
// metrics gives it a separate metrics listener.
func startServe(t *testing.T, env map[string]string, metrics bool) *serveRig {
	t.Helper()
	rig := newServeRig(t, metrics)
	rig.run(t, env)
	return rig
}

// newServeRig starts the stand-in (webhook secret "s") and the issuer and
// takes the listeners serve will use.
func newServeRig(t *testing.T, metrics bool) *serveRig {
	t.Helper()
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: "s"})
	iss, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	rig := &serveRig{gs: gs, iss: iss, err: make(chan error, 1)}
	if rig.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	rig.base = "http://" + rig.ln.Addr().String()
	if metrics {
		if rig.mln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		rig.metrics = "http://" + rig.mln.Addr().String()
	}
	return rig
}

// run parses the rig's STEPGATE_* variables, changed by env ("" unsets
// one), as serve does and serves until the test ends; serve must then
// stop without an error unless the test took it from rig.err.
func (rig *serveRig) run(t *testing.T, env map[string]string) {
	t.Helper()
	vars := map[string]string{
		"STEPGATE_ADDR":               rig.ln.Addr().String(),
		"STEPGATE_ALLOWED_OWNERS":     "acme",
		"STEPGATE_PUBLIC_URL":         rig.base + "/",
		"STEPGATE_STORE":              "bolt:" + filepath.Join(t.TempDir(), "rig.db"),
		"STEPGATE_GITHUB_APP_ID":      fmt.Sprint(rig.gs.AppID()),
		"STEPGATE_GITHUB_PRIVATE_KEY": string(rig.gs.AppPrivateKeyPEM()),
		"STEPGATE_WEBHOOK_SECRET":     "s",
		"STEPGATE_GITHUB_API_URL":     rig.gs.URL(),
		"STEPGATE_OIDC_ISSUER":        rig.iss.URL(),
	}
	maps.Copy(vars, env)
	cfg, err := parseServeConfig(nil, func(k string) string { return vars[k] }, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { rig.err <- serve(ctx, cfg, slog.New(slog.DiscardHandler), rig.ln, rig.mln) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		select {
		case err := <-rig.err:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		default:
		}
	})
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
