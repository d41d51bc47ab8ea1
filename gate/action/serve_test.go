package action

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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
	"github.com/stepgate/stepgate/internal/oidcissuer"
	"github.com/stepgate/stepgate/internal/testutil"
)

// The tests in this file gate commands against a real `stepgate serve`
// child process (bolt store), with the GitHub stand-in as GitHub and the
// local OIDC issuer (internal/oidcissuer), whose runner endpoint behaves
// like ACTIONS_ID_TOKEN_REQUEST_URL. Reviewers act through the stand-in, which
// sends signed webhooks to the App like GitHub does.

// The "safe" rule names every command of the allowed commands' trees (an
// allow rule must match each of them, and a command that writes a file with
// a redirect is never allowed), so the allowed commands write the marker
// with tee, which the rule names with its file.
const servePolicy = `version: 1
rules:
  - name: safe
    if:
      command: ["echo safe", "tee -a marker", "tee started", "sed -i s/safe/ran/ marker", "sleep *", "exit *"]
    then: allow
  - name: default
    require: { users: [alice] }
`

var issuerKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

const serveSHA = "0123456789abcdef0123456789abcdef01234567"

// app is a running `stepgate serve` behind a proxy whose URL is the App's
// public URL; the proxy can tamper with the decision's hash.
type app struct {
	gh     *ghstandin.Server
	iss    *oidcissuer.Issuer
	proxy  *httptest.Server
	tamper atomic.Bool
	runs   atomic.Int64
	// down counts gate API calls the proxy could not pass on: the App was
	// not there to answer them.
	down atomic.Int64

	bin, addr string
	env       []string
	logs      syncBuffer
	serve     *exec.Cmd
}

func startApp(t testing.TB) *app {
	t.Helper()
	a := &app{bin: binary(t), gh: ghstandin.New(ghstandin.Options{WebhookSecret: "hook-secret"})}
	t.Cleanup(a.gh.Close)
	a.gh.AddRepo(ghstandin.Repo{FullName: "acme/app"})
	a.gh.SetFile("acme/app", "", ".github/stepgate.yml", servePolicy)
	a.gh.SetPermission("acme/app", "alice", "write")
	key, err := issuerKey()
	if err != nil {
		t.Fatal(err)
	}
	if a.iss, err = oidcissuer.New(oidcissuer.Options{Key: key}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.iss.Close)
	a.runs.Store(time.Now().UnixNano() % 1e9)

	a.addr = freeAddr(t)
	a.proxy = httptest.NewServer(a.proxyTo("http://" + a.addr))
	t.Cleanup(a.proxy.Close)
	a.env = append(os.Environ(),
		"STEPGATE_ADDR="+a.addr, "STEPGATE_PUBLIC_URL="+a.proxy.URL,
		"STEPGATE_STORE=bolt:"+filepath.Join(t.TempDir(), "stepgate.db"),
		fmt.Sprintf("STEPGATE_GITHUB_APP_ID=%d", a.gh.AppID()),
		"STEPGATE_GITHUB_PRIVATE_KEY="+string(a.gh.AppPrivateKeyPEM()),
		"STEPGATE_WEBHOOK_SECRET=hook-secret", "STEPGATE_GITHUB_API_URL="+a.gh.URL(),
		"STEPGATE_OIDC_ISSUER="+a.iss.URL(), "STEPGATE_SWEEP_INTERVAL=200ms")
	a.start(t)
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			t.Logf("stepgate serve log:\n%s", a.logs.String())
		}
	})
	a.gh.SetWebhookTarget(a.proxy.URL + "/webhook")
	return a
}

// start runs `stepgate serve` on the App's address and bolt file.
func (a *app) start(t testing.TB) {
	a.serve = exec.Command(a.bin, "serve")
	a.serve.Env = a.env
	a.serve.Stdout, a.serve.Stderr = &a.logs, &a.logs
	if err := a.serve.Start(); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, "http://"+a.addr, &a.logs)
}

func (a *app) stop() {
	if a.serve != nil {
		a.serve.Process.Signal(syscall.SIGTERM)
		a.serve.Wait()
		a.serve = nil
	}
}

func (a *app) proxyTo(target string) http.Handler {
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, _ error) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/requests") {
			a.down.Add(1)
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	p.ModifyResponse = func(r *http.Response) error {
		if !a.tamper.Load() || !strings.HasPrefix(r.Request.URL.Path, "/api/v1/requests") {
			return nil
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		var v map[string]any
		if json.Unmarshal(b, &v) == nil && v["command_sha256"] != nil {
			v["command_sha256"] = strings.Repeat("0", 64)
			b, _ = json.Marshal(v)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Del("Content-Length")
		return nil
	}
	return p
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t testing.TB, base string, logs *syncBuffer) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("stepgate serve did not become healthy:\n%s", logs.String())
}

// gate starts `stepgate action` for a fresh workflow run.
func (a *app) gate(t testing.TB, h *harness, run string, more ...string) *proc {
	a.newRun(h)
	return h.start(t, []string{"action"}, inputs(a.proxy.URL, run, more...))
}

// newRun points the harness's runner at the issuer for a fresh workflow run.
func (a *app) newRun(h *harness) {
	h.env["ACTIONS_ID_TOKEN_REQUEST_URL"], h.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = a.iss.RunnerEndpoint(oidcissuer.Claims{
		Repository: "acme/app", RepositoryID: fmt.Sprint(a.gh.RepoID("acme/app")), RepositoryOwner: "acme",
		RunID: fmt.Sprint(a.runs.Add(1)), RunAttempt: "1", Actor: "dev", Ref: "refs/heads/main",
		SHA: serveSHA, EventName: "push", Workflow: "deploy",
	})
	h.env["GITHUB_SHA"] = serveSHA
}

// checkRun waits for the App's check run on the commit.
func (a *app) checkRun(t *testing.T, p *proc, n int) ghstandin.CheckRun {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if crs := a.gh.CheckRuns("acme/app"); len(crs) >= n {
			return crs[n-1]
		}
		select {
		case <-p.done:
			t.Fatalf("gate exited (%d) before a check run appeared:\n%s", p.code, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no check run appeared:\n%s", p.stderr.String())
	return ghstandin.CheckRun{}
}

func TestServeFlows(t *testing.T) {
	t.Parallel()
	f := &serveFlow{a: startApp(t)}
	// Subtests share one App and run one after another: check runs are
	// counted in order.
	for _, step := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"allowed by policy runs at once", f.allowed},
		{"approved runs once with its exit code", f.approved},
		{"rejected runs nothing", f.rejected},
		{"expired runs nothing", f.expired},
		{"tampered decision hash runs nothing", f.tampered},
		{"SIGTERM while running kills the command", f.sigterm},
		{"restarted App loses no pending request", f.restart},
		{"App down runs nothing", f.appDown},
	} {
		t.Run(step.name, step.run)
	}
}

// serveFlow is TestServeFlows' App, shared by its steps, and how many
// check runs they have opened so far.
type serveFlow struct {
	a *app
	n int
}

// allowed: an allowed command runs at once with its exit code.
func (f *serveFlow) allowed(t *testing.T) {
	h := newHarness(t)
	p := f.a.gate(t, h, "echo safe | tee -a marker; sed -i s/safe/ran/ marker; exit 2")
	if code := p.wait(t, 30*time.Second); code != 2 || h.runs() != 1 {
		t.Fatalf("exit = %d, runs = %d; want 2 and 1\n%s", code, h.runs(), p.stderr.String())
	}
	if out := h.outputs(); out["status"] != "allowed" || out["exit-code"] != "2" {
		t.Errorf("outputs = %v", out)
	}
}

// approved: an approved command runs once with its exit code and approver.
func (f *serveFlow) approved(t *testing.T) {
	h := newHarness(t)
	p := f.a.gate(t, h, markCmd+"exit 5")
	f.n++
	cr := f.a.checkRun(t, p, f.n)
	if code, err := f.a.gh.ClickAction("acme/app", cr.ID, "approve", "alice"); err != nil || code >= 300 {
		t.Fatalf("click: %d %v", code, err)
	}
	if code := p.wait(t, 30*time.Second); code != 5 || h.runs() != 1 {
		t.Fatalf("exit = %d, runs = %d; want 5 and 1\n%s", code, h.runs(), p.stderr.String())
	}
	if out := h.outputs(); out["status"] != "approved" || out["approved-by"] != "alice" {
		t.Errorf("outputs = %v", out)
	}
}

// rejected: a rejected command runs nothing.
func (f *serveFlow) rejected(t *testing.T) {
	h := newHarness(t)
	p := f.a.gate(t, h, markCmd)
	f.n++
	cr := f.a.checkRun(t, p, f.n)
	f.a.gh.ClickAction("acme/app", cr.ID, "reject", "alice")
	if code := p.wait(t, 30*time.Second); code != ExitRejected || h.runs() != 0 {
		t.Fatalf("exit = %d, runs = %d; want %d and 0\n%s", code, h.runs(), ExitRejected, p.stderr.String())
	}
}

// expired: a request that times out runs nothing.
func (f *serveFlow) expired(t *testing.T) {
	h := newHarness(t)
	p := f.a.gate(t, h, markCmd, "INPUT_TIMEOUT", "1s")
	f.n++
	if code := p.wait(t, 30*time.Second); code != ExitExpired || h.runs() != 0 {
		t.Fatalf("exit = %d, runs = %d; want %d and 0\n%s", code, h.runs(), ExitExpired, p.stderr.String())
	}
}

// tampered: a decision bound to other bytes runs nothing.
func (f *serveFlow) tampered(t *testing.T) {
	h := newHarness(t)
	f.a.tamper.Store(true)
	defer f.a.tamper.Store(false)
	p := f.a.gate(t, h, "echo safe | tee -a marker; sed -i s/safe/ran/ marker")
	if code := p.wait(t, 30*time.Second); code != ExitMismatch || h.runs() != 0 {
		t.Fatalf("exit = %d, runs = %d; want %d and 0\n%s", code, h.runs(), ExitMismatch, p.stderr.String())
	}
}

// sigterm: SIGTERM while the command runs kills it.
func (f *serveFlow) sigterm(t *testing.T) {
	h := newHarness(t)
	p := f.a.gate(t, h, "echo safe | tee started; sleep 30; echo safe | tee -a marker; sed -i s/safe/ran/ marker")
	waitForFile(t, filepath.Join(h.env["GITHUB_WORKSPACE"], "started"), p)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code == 0 || h.runs() != 0 {
		t.Fatalf("exit = %d, runs = %d; want non-zero and 0\n%s", code, h.runs(), p.stderr.String())
	}
}

// restart: a pending request survives an App restart.
func (f *serveFlow) restart(t *testing.T) {
	h := newHarness(t)
	p := f.a.gate(t, h, markCmd)
	f.n++
	cr := f.a.checkRun(t, p, f.n)
	down := f.a.down.Load()
	f.a.stop()
	testutil.Eventually(t, 30*time.Second, func() bool { return f.a.down.Load() > down },
		"the gate to find the App down (a gate API call the proxy could not pass on)")
	f.a.start(t)
	if code, err := f.a.gh.ClickAction("acme/app", cr.ID, "approve", "alice"); err != nil || code >= 300 {
		t.Fatalf("click after restart: %d %v", code, err)
	}
	if code := p.wait(t, 60*time.Second); code != 0 || h.runs() != 1 {
		t.Fatalf("exit = %d, runs = %d; want 0 and 1\n%s", code, h.runs(), p.stderr.String())
	}
}

// appDown: an unreachable App runs nothing.
func (f *serveFlow) appDown(t *testing.T) {
	h := newHarness(t)
	f.a.newRun(h)
	p := h.start(t, []string{"action"}, inputs(closedURL(t), "echo safe | tee -a marker; sed -i s/safe/ran/ marker"))
	if code := p.wait(t, 60*time.Second); code != ExitUnreachable || h.runs() != 0 {
		t.Fatalf("exit = %d, runs = %d; want %d and 0\n%s", code, h.runs(), ExitUnreachable, p.stderr.String())
	}
}
