package server

import (
	"bytes"
	"context"
	"crypto/hmac"
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

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// sharedIssuer is one local OIDC issuer (internal/oidcissuer) for the whole
// test binary: key generation is slow under the race detector, and every
// harness scopes its tokens by repository and run anyway.
var sharedIssuer = sync.OnceValues(func() (*oidcissuer.Issuer, error) { return oidcissuer.New(oidcissuer.Options{}) })

func issuer(t *testing.T) *oidcissuer.Issuer {
	t.Helper()
	iss, err := sharedIssuer()
	if err != nil {
		t.Fatal(err)
	}
	return iss
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
	gh         *standinGitHub
	st         store.Store
	iss        *oidcissuer.Issuer
	now        atomic.Pointer[time.Time]
	runID      atomic.Int64
	deliveries atomic.Int64
}

type harnessOpts struct {
	secrets []string
	clock   bool // use a controllable clock
	// noParking keeps long-polls on their handler goroutines.
	noParking bool
	// config edits the server's configuration before New.
	config func(*Config)
	// client edits the GitHub client's configuration.
	client func(*ghclient.Config)
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, gh: newStandinGitHub(t), iss: issuer(t)}
	if o.client != nil {
		h.gh.client = h.gh.newClient(t, o.client)
	}
	st, err := boltstore.Open(boltstore.Options{Path: filepath.Join(t.TempDir(), "stepgate.db"), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	if len(o.secrets) == 0 {
		o.secrets = []string{testSecret}
	}
	cfg := Config{Store: st, GitHub: h.gh.client, PublicURL: publicURL + "/", OIDCIssuer: h.iss.URL(),
		WebhookSecrets: o.secrets, BotLogin: "stepgate[bot]", PollInterval: 20 * time.Millisecond,
		SweepInterval: time.Hour, MaxWait: 5 * time.Second, NoParking: o.noParking}
	if os.Getenv("STEPGATE_TEST_LOG") != "" {
		cfg.Logger = testLogger(t)
	}
	if o.clock {
		n := time.Now()
		h.now.Store(&n)
		cfg.Now = func() time.Time { return *h.now.Load() }
	}
	if o.config != nil {
		o.config(&cfg)
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

// claims are the Actions claims of a run of repo.
func claims(repo string, repoID, runID int64) oidcissuer.Claims {
	return oidcissuer.Claims{Repository: repo, RepositoryID: fmt.Sprint(repoID), RunID: fmt.Sprint(runID),
		RunAttempt: "1", Actor: "dev", Ref: "refs/heads/main", SHA: headSHA, EventName: "push", Workflow: "deploy",
		Environment: "production"} // the job declares `environment: production`, as cmdBody's input says
}

// token mints a gate token for a run of repo; edit changes its claims.
func (h *harness) token(repo string, repoID, runID int64, edit func(*oidcissuer.Claims)) string {
	c := claims(repo, repoID, runID)
	if edit != nil {
		edit(&c)
	}
	return h.iss.Mint(c, publicURL, 10*time.Minute)
}

// prToken returns a token for a fresh pull_request run of PR number of
// repoA (ref refs/pull/N/merge on a merge commit), whose head GitHub says
// is headSHA and whose author is "pr-author".
func (h *harness) prToken(number int) string {
	h.gh.setPull(repoA, ghapi.PullRequest{Number: number, HeadSHA: headSHA, HeadRef: "feature", BaseRef: "main", Author: "pr-author"})
	return h.token(repoA, repoAID, h.runID.Add(1), func(c *oidcissuer.Claims) {
		c.Ref, c.SHA, c.EventName = fmt.Sprintf("refs/pull/%d/merge", number), "4444444444444444444444444444444444444444", "pull_request"
	})
}

// newRun returns a token for a fresh run of repoA.
func (h *harness) newRun() string {
	return h.token(repoA, repoAID, h.runID.Add(1), nil)
}

func (h *harness) do(method, path, tok string, body any) (*http.Response, []byte) {
	h.t.Helper()
	resp, b, err := h.roundTrip(method, path, tok, body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, b
}

// roundTrip is do without the test: other goroutines may call it.
func (h *harness) roundTrip(method, path, tok string, body any) (*http.Response, []byte, error) {
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
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b, nil
}

// waited is what a long-poll in the background got, and when.
type waited struct {
	v  gate.RequestView
	at time.Time
}

// getAsync long-polls request id on a goroutine of its own; what it gets
// arrives on the channel (a failed call is reported with t.Error, never
// t.Fatal off the test's goroutine).
func (h *harness) getAsync(tok, id, wait string) <-chan waited {
	out := make(chan waited, 1)
	go func() {
		resp, b, err := h.roundTrip("GET", "/api/v1/requests/"+id+"?wait="+wait, tok, nil)
		var v gate.RequestView
		if err != nil {
			h.t.Errorf("long-poll of %s: %v", id, err)
		} else if resp.StatusCode == 200 {
			_ = json.Unmarshal(b, &v)
		}
		out <- waited{v: v, at: time.Now()}
	}()
	return out
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
	code, body, err := h.send(event, payload, secret, delivery)
	if err != nil {
		h.t.Fatal(err)
	}
	return code, body
}

// send delivers a webhook like webhook but never touches the test, so
// other goroutines may call it (and report an error with t.Error).
func (h *harness) send(event string, payload any, secret, delivery string) (int, string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, "", err
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
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
