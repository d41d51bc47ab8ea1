package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
	"github.com/stepgate/stepgate/internal/oidcissuer"
	"github.com/stepgate/stepgate/internal/testutil"
)

// cluster is one deployment: the stand-in, the issuer, a DynamoDB table,
// two App replicas and the failover proxy the gates talk to.
type cluster struct {
	t        *testing.T
	dir      string
	gh       *ghstandin.Server
	iss      *oidcissuer.Issuer
	table    string
	secret   string
	keyFile  string
	replicas []*replica
	proxy    *failover
	runIDs   atomic.Int64
	dynamo   string // the replicas' DynamoDB endpoint (the shield)
}

// replica is one `stepgate serve` child process.
type replica struct {
	name string
	addr string // 127.0.0.1:PORT
	env  []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *testutil.SyncBuffer
}

func (r *replica) url() string { return "http://" + r.addr }

// newCluster starts everything; t.Cleanup stops it all.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	requireSuite(t)
	c := &cluster{t: t, dir: t.TempDir()}
	c.secret = randomHex(t, 32)
	c.gh = newStandin(t, ghstandin.Options{WebhookSecret: c.secret})
	var err error
	if c.iss, err = oidcissuer.New(oidcissuer.Options{}); err != nil {
		t.Fatalf("oidc issuer: %v", err)
	}
	t.Cleanup(c.iss.Close)
	c.keyFile = filepath.Join(c.dir, "app.pem")
	if err := os.WriteFile(c.keyFile, c.gh.AppPrivateKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	c.dynamo = startDynamoShield(t, suite.dynamo)
	c.table = "stepgate-e2e-" + randomHex(t, 6)
	c.storeInit()
	ports := freePorts(t, 2)
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	publicURL := "http://" + proxyLn.Addr().String()
	for i, p := range ports {
		r := &replica{name: fmt.Sprintf("replica-%d", i+1), addr: p}
		r.env = c.serveEnv(r.addr, publicURL)
		c.replicas = append(c.replicas, r)
	}
	c.proxy = startFailover(t, proxyLn, []string{c.replicas[0].addr, c.replicas[1].addr})
	for _, r := range c.replicas {
		c.start(r)
	}
	// Reviewers' clicks and comments reach replica 2 while gates wait on
	// replica 1 (the proxy's first choice): every decision crosses replicas.
	c.gh.SetWebhookTarget(c.replicas[1].url() + "/webhook")
	return c
}

// startDynamoShield puts a buffering HTTP proxy between the replicas and
// dynalite. dynalite throws (and dies) when a client drops a request it is
// still reading, and a replica killed with SIGKILL drops whatever it was
// sending, which would take the one dynalite of the whole test run down
// with it. The shield reads each request completely, then finishes it
// upstream even if its client is gone. Real DynamoDB needs no such care.
func startDynamoShield(t *testing.T, target string) string {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the replica died mid-request; dynalite saw nothing
		}
		ctx := context.WithoutCancel(r.Context())
		up, err := http.NewRequestWithContext(ctx, r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		up.Header = r.Header.Clone()
		up.Host = r.Host // part of the SigV4 signature
		resp, err := client.Do(up)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func newStandin(t *testing.T, opts ghstandin.Options) *ghstandin.Server {
	t.Helper()
	if _, err := standintest.FindSpec(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("GitHub's OpenAPI description is required in CI: %v", err)
		}
		t.Logf("no OpenAPI validation of GitHub traffic (%v); run ./scripts/test.sh for it", err)
		s := ghstandin.New(opts)
		t.Cleanup(s.Close)
		return s
	}
	return standintest.New(t, opts)
}

func (c *cluster) baseEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + c.dir, "TMPDIR=" + os.TempDir(),
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL_DYNAMODB=" + c.dynamo, "AWS_EC2_METADATA_DISABLED=true",
		"STEPGATE_STORE=dynamodb:" + c.table,
	}
}

func (c *cluster) serveEnv(addr, publicURL string) []string {
	return append(c.baseEnv(),
		"STEPGATE_ADDR="+addr,
		"STEPGATE_PUBLIC_URL="+publicURL,
		fmt.Sprintf("STEPGATE_GITHUB_APP_ID=%d", c.gh.AppID()),
		"STEPGATE_GITHUB_PRIVATE_KEY_FILE="+c.keyFile,
		"STEPGATE_WEBHOOK_SECRET="+c.secret,
		"STEPGATE_GITHUB_API_URL="+c.gh.URL(),
		"STEPGATE_OIDC_ISSUER="+c.iss.URL(),
		// Serve the policy from memory for a while instead of revalidating
		// it on every request (the default), so a remembered command is
		// provably decided without a single GitHub call.
		"STEPGATE_GITHUB_FILE_CACHE_TTL=1m",
	)
}

// storeInit creates the table with the real `stepgate store init`.
func (c *cluster) storeInit() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.bin, "store", "init")
	cmd.Env = c.baseEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("stepgate store init: %v\n%s", err, out)
	}
}

// start runs a replica and waits until /healthz answers.
func (c *cluster) start(r *replica) {
	c.t.Helper()
	r.mu.Lock()
	r.logs = &testutil.SyncBuffer{}
	cmd := exec.Command(suite.bin, "serve")
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = r.logs, r.logs
	if err := cmd.Start(); err != nil {
		r.mu.Unlock()
		c.t.Fatalf("starting %s: %v", r.name, err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	done := r.done
	go func() { _ = cmd.Wait(); close(done) }()
	r.mu.Unlock()
	c.t.Cleanup(func() { r.stop(syscall.SIGTERM) })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			c.t.Fatalf("%s exited at start:\n%s", r.name, r.logs.String())
		default:
		}
		resp, err := http.Get(r.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("%s not healthy after 20s:\n%s", r.name, r.logs.String())
}

// stop signals the replica and waits for it (SIGKILL after 5s).
func (r *replica) stop(sig syscall.Signal) {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// dumpLogs shows the replicas' logs when a test failed.
func (c *cluster) dumpLogs() {
	if !c.t.Failed() {
		return
	}
	for _, r := range c.replicas {
		r.mu.Lock()
		logs := r.logs
		r.mu.Unlock()
		if logs != nil {
			c.t.Logf("---- %s log (last 60 lines) ----\n%s", r.name, tail(logs.String(), 60))
		}
	}
}

// addRepo creates a repository with a policy and CODEOWNERS and returns
// its id (which the OIDC tokens carry).
func (c *cluster) addRepo(name, policy, codeowners string) int64 {
	c.t.Helper()
	c.gh.AddRepo(ghstandin.Repo{FullName: name})
	if policy != "" {
		c.gh.SetFile(name, "", ".github/stepgate.yml", policy)
	}
	if codeowners != "" {
		c.gh.SetFile(name, "", ".github/CODEOWNERS", codeowners)
	}
	id := c.gh.RepoID(name)
	if id == 0 {
		c.t.Fatalf("no id for %s", name)
	}
	return id
}

// waitCheckRun waits until repo has n check runs and returns the n-th.
func (c *cluster) waitCheckRun(repo string, n int, g *gateRun) ghstandin.CheckRun {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if runs := c.gh.CheckRuns(repo); len(runs) >= n {
			return runs[n-1]
		}
		if g != nil && g.exited() {
			c.t.Fatalf("the gate ended before a check run was opened: %s", g.describe())
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("no check run #%d on %s after 30s", n, repo)
	return ghstandin.CheckRun{}
}

func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var lns []net.Listener
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
