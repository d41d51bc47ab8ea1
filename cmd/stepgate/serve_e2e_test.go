package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/oidcissuer"
	"github.com/stepgate/stepgate/internal/testutil"
)

// TestServeEndToEnd runs `stepgate serve` as wired for production (config
// from STEPGATE_* variables, bolt store, ghclient) against the GitHub
// stand-in (OpenAPI-validated) and the local OIDC issuer.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	const repoName = "acme/e2e"
	// Configured from STEPGATE_* variables only: the key on one line with
	// literal \n, the webhook secret in a rotation, any owner.
	rig := newServeRig(t, false)
	rig.run(t, map[string]string{
		"STEPGATE_GITHUB_PRIVATE_KEY": strings.ReplaceAll(string(rig.gs.AppPrivateKeyPEM()), "\n", `\n`),
		"STEPGATE_WEBHOOK_SECRET":     "rotated-out,s",
		"STEPGATE_ALLOWED_OWNERS":     "",
	})
	base, gs, iss := rig.base, rig.gs, rig.iss
	gs.AddRepo(ghstandin.Repo{FullName: repoName})
	gs.SetPermission(repoName, "carol", "write")
	gs.SetWebhookTarget(base + "/webhook")
	p, err := gs.InstallationPayload("created", repoName, "octo")
	if err != nil {
		t.Fatal(err)
	}
	repoID := fmt.Sprint(p["repositories"].([]any)[0].(map[string]any)["id"])
	sha := "00112233445566778899aabbccddeeff00112233"
	tok := iss.Mint(oidcissuer.Claims{Repository: repoName, RepositoryID: repoID, RunID: "1", RunAttempt: "1",
		Actor: "dev", SHA: sha, Ref: "refs/heads/main", EventName: "push"}, base, 5*time.Minute)

	cmd := "./scripts/migrate.sh --env prod"
	var view gate.RequestView
	code := call(t, "POST", base+"/api/v1/requests", tok, gate.CreateRequest{Command: cmd,
		CommandSHA256: gate.CommandHash(cmd, "bash", ""), Shell: "bash", Job: "deploy", Step: "migrate"}, &view)
	if code != 201 || view.Status != gate.StatusPending {
		t.Fatalf("create = %d %s", code, view.Status)
	}
	runs := gs.CheckRuns(repoName)
	if len(runs) != 1 {
		t.Fatalf("check runs = %d", len(runs))
	}
	clicked := make(chan struct{})
	t.Cleanup(func() { <-clicked }) // its t.Error must come before the test ends
	go func() {
		defer close(clicked)
		// Click once the long-poll below is waiting, so the click wakes it.
		if !testutil.WaitFor(5*time.Second, testutil.GatesWaiting(base, 1)) {
			t.Error("the long-poll never showed in stepgate_waiting_gates; clicking anyway")
		}
		gs.ClickAction(repoName, runs[0].ID, "approve", "carol")
	}()
	if code := call(t, "GET", base+"/api/v1/requests/"+view.ID+"?wait=10s", tok, nil, &view); code != 200 || view.Status != gate.StatusApproved {
		t.Fatalf("long-poll = %d %s, want approved", code, view.Status)
	}
	if code := call(t, "POST", base+"/api/v1/requests/"+view.ID+"/result", tok, gate.ResultReport{ExitCode: 0, DurationMS: 5}, nil); code != 200 {
		t.Errorf("result = %d", code)
	}
	checkBadTokensRefused(t, iss, base+"/api/v1/requests/"+view.ID, oidcissuer.Claims{Repository: repoName, RepositoryID: repoID, RunID: "1"})
	// The long-poll can return before the webhook handler has finished (and
	// counted its outcome): wait for the delivery before reading metrics.
	<-clicked
	checkServeMetrics(t, base)
}

// checkBadTokensRefused reads url with an expired token and with one signed
// by a key the issuer does not publish: both are refused 401.
func checkBadTokensRefused(t *testing.T, iss *oidcissuer.Issuer, url string, c oidcissuer.Claims) {
	t.Helper()
	aud := strings.SplitN(url, "/api/", 2)[0]
	expired := iss.Mint(c, aud, -time.Minute)
	if code := call(t, "GET", url, expired, nil, nil); code != 401 {
		t.Errorf("expired token = %d, want 401", code)
	}
	otherKey := iss.MintWith(c, oidcissuer.MintOptions{Audience: aud, OtherKey: true})
	if code := call(t, "GET", url, otherKey, nil, nil); code != 401 {
		t.Errorf("token signed with an unpublished key = %d, want 401", code)
	}
}

// checkServeMetrics checks /healthz answers and /metrics has the App's
// request, gate API, webhook and latency metrics.
func checkServeMetrics(t *testing.T, base string) {
	t.Helper()
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if path == "/metrics" {
			for _, m := range []string{"stepgate_requests_total", "stepgate_gate_api_requests_total", "stepgate_webhooks_total", "stepgate_decision_latency_seconds"} {
				if !strings.Contains(string(b), m) {
					t.Errorf("/metrics lacks %s", m)
				}
			}
		}
	}
}

func call(t *testing.T, method, url, tok string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Authorization", "Bearer "+tok)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
