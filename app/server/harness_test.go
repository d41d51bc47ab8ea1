package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/gate"
)

// testIssuer is a local OIDC issuer: discovery, JWKS and token minting.
type testIssuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	kid string
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := issuerKey()
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{key: key, kid: "k1"}
	mux := http.NewServeMux()
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.srv.URL, "jwks_uri": iss.srv.URL + "/.well-known/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
		})
	})
	mux.HandleFunc("/.well-known/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: iss.kid, Algorithm: "RS256", Use: "sig"}}})
	})
	return iss
}

func (i *testIssuer) URL() string { return i.srv.URL }

// issuerKey is generated once per test binary (RSA generation is slow
// under the race detector); each issuer still has its own URL, so tokens of
// one issuer never verify at another.
var issuerKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// mint signs claims; iss, aud, iat, nbf, exp are added unless present.
func (i *testIssuer) mint(t *testing.T, key *rsa.PrivateKey, claims map[string]any, aud string, ttl time.Duration) string {
	t.Helper()
	if key == nil {
		key = i.key
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", i.kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := map[string]any{"iss": i.srv.URL, "aud": aud, "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(ttl).Unix(), "sub": "repo:x"}
	for k, v := range claims {
		c[k] = v
	}
	tok, err := jwt.Signed(sig).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

const (
	testSecret = "webhook-secret-1"
	publicURL  = "https://stepgate.test"
	repoA      = "acme/app"
	repoAID    = 101
	repoB      = "acme/other"
	repoBID    = 202
	headSHA    = "0123456789abcdef0123456789abcdef01234567"
)

type harness struct {
	t          *testing.T
	srv        *Server
	http       *httptest.Server
	gh         *fakeGitHub
	st         store.Store
	iss        *testIssuer
	now        atomic.Pointer[time.Time]
	runID      atomic.Int64
	deliveries atomic.Int64
}

type harnessOpts struct {
	secrets []string
	clock   bool // use a controllable clock
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, gh: newFakeGitHub(), iss: newTestIssuer(t)}
	st, err := boltstore.Open(boltstore.Options{Path: filepath.Join(t.TempDir(), "stepgate.db"), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	if len(o.secrets) == 0 {
		o.secrets = []string{testSecret}
	}
	cfg := Config{Store: st, GitHub: h.gh, PublicURL: publicURL + "/", OIDCIssuer: h.iss.URL(),
		WebhookSecrets: o.secrets, BotLogin: "stepgate[bot]", PollInterval: 20 * time.Millisecond,
		SweepInterval: time.Hour, MaxWait: 5 * time.Second}
	if os.Getenv("STEPGATE_TEST_LOG") != "" {
		cfg.Logger = testLogger(t)
	}
	if o.clock {
		n := time.Now()
		h.now.Store(&n)
		cfg.Now = func() time.Time { return *h.now.Load() }
	}
	h.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewServer(h.srv.Handler())
	t.Cleanup(h.http.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.srv.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	h.runID.Store(5000)
	return h
}

func (h *harness) advance(d time.Duration) {
	n := h.now.Load().Add(d)
	h.now.Store(&n)
}

// token mints a gate token for a run of repo.
func (h *harness) token(repo string, repoID, runID int64, extra map[string]any) string {
	c := map[string]any{"repository": repo, "repository_id": fmt.Sprint(repoID), "run_id": fmt.Sprint(runID),
		"run_attempt": "1", "actor": "dev", "ref": "refs/heads/main", "sha": headSHA, "event_name": "push",
		"workflow": "deploy"}
	for k, v := range extra {
		c[k] = v
	}
	return h.iss.mint(h.t, nil, c, publicURL, 10*time.Minute)
}

// newRun returns a token for a fresh run of repoA.
func (h *harness) newRun() string {
	return h.token(repoA, repoAID, h.runID.Add(1), nil)
}

func (h *harness) do(method, path, tok string, body any) (*http.Response, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.http.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func cmdBody(command string) gate.CreateRequest {
	return gate.CreateRequest{Command: command, CommandSHA256: gate.CommandHash(command, "bash", ""),
		Shell: "bash", Job: "deploy", Step: "migrate", Environment: "production"}
}

// create posts a request and decodes the view.
func (h *harness) create(tok string, body gate.CreateRequest) (int, gate.RequestView) {
	h.t.Helper()
	resp, b := h.do("POST", "/api/v1/requests", tok, body)
	var v gate.RequestView
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(b, &v); err != nil {
			h.t.Fatalf("decoding %s: %v", b, err)
		}
	}
	return resp.StatusCode, v
}

func (h *harness) get(tok, id, wait string) (int, gate.RequestView) {
	h.t.Helper()
	q := ""
	if wait != "" {
		q = "?wait=" + wait
	}
	resp, b := h.do("GET", "/api/v1/requests/"+id+q, tok, nil)
	var v gate.RequestView
	if resp.StatusCode == 200 {
		_ = json.Unmarshal(b, &v)
	}
	return resp.StatusCode, v
}

func (h *harness) request(id string) *gate.Request {
	h.t.Helper()
	r, err := h.st.GetRequest(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// webhook sends a signed delivery and returns the status and body.
func (h *harness) webhook(event string, payload any, secret, delivery string) (int, string) {
	h.t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	if delivery == "" {
		delivery = fmt.Sprintf("d-%d", h.deliveries.Add(1))
	}
	req, _ := http.NewRequest("POST", h.http.URL+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if secret != "" {
		req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
