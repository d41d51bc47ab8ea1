package action

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/testutil"
)

const markCmd = "echo ran >> marker\n"

func TestApprovedRunsOnceWithItsExitCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setPoll(approveAfter(3))
	cfg := h.config(markCmd + "echo to-stdout; echo to-stderr >&2; exit 3")

	if got, want := h.run(context.Background(), cfg), 3; got != want {
		t.Fatalf("exit = %d, want %d\nlog:\n%s", got, want, h.stderr.String())
	}
	if got := h.runs(); got != 1 {
		t.Errorf("command ran %d times, want 1", got)
	}
	rec := h.app.snapshot()
	if len(rec.results) != 1 || rec.results[0].ExitCode != 3 {
		t.Errorf("results = %+v, want one with exit code 3", rec.results)
	}
	if rec.polls != 3 {
		t.Errorf("polls = %d, want 3", rec.polls)
	}
	if !strings.Contains(h.stdout.String(), "to-stdout") || !strings.Contains(h.stderr.String(), "to-stderr") {
		t.Errorf("streams not passed through: stdout %q", h.stdout.String())
	}
	want := map[string]string{"status": "approved", "request-id": "sg_test1", "approved-by": "alice", "exit-code": "3", "risk-level": "medium"}
	if diff := cmp.Diff(want, h.outputs()); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	for _, s := range []string{"::group::stepgate: waiting for approval of sg_test1", "::endgroup::", "asked: @alice", "https://github.example/acme/app/runs/1", "no approvals yet"} {
		if !strings.Contains(h.stderr.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, h.stderr.String())
		}
	}
}

func TestCreateRequestFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	event := filepath.Join(h.dir, "event.json")
	os.WriteFile(event, []byte(`{"number":7,"pull_request":{"number":7,"head":{"sha":"abcabc"}}}`), 0o644)
	h.env["GITHUB_EVENT_NAME"], h.env["GITHUB_EVENT_PATH"] = "pull_request", event
	os.Mkdir(filepath.Join(h.env["GITHUB_WORKSPACE"], "db"), 0o755)
	cfg := h.config("pwd > ../pwd.txt")
	cfg.WorkingDirectory, cfg.Reason, cfg.Approvers = "db", "weekly", []string{"team:acme/dba"}

	if code := h.run(context.Background(), cfg); code != 0 {
		t.Fatalf("exit = %d\n%s", code, h.stderr.String())
	}
	got := h.app.snapshot().created[0]
	want := gate.CreateRequest{
		Command: "pwd > ../pwd.txt", CommandSHA256: gate.CommandHash("pwd > ../pwd.txt", "bash", "db"),
		Shell: "bash", WorkingDirectory: "db", Environment: "production", Reason: "weekly",
		TimeoutSeconds: 60, Approvers: []string{"team:acme/dba"}, Job: "deploy", Step: "migrate",
		HeadSHA: "abcabc", PullRequest: 7, ClientRisk: "low",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create request (-want +got):\n%s", diff)
	}
	pwd, _ := os.ReadFile(filepath.Join(h.env["GITHUB_WORKSPACE"], "pwd.txt"))
	if wantDir := filepath.Join(h.env["GITHUB_WORKSPACE"], "db"); strings.TrimSpace(string(pwd)) != wantDir {
		t.Errorf("ran in %q, want %q", pwd, wantDir)
	}
}

func allowed(_ int, _ gate.CreateRequest, v *gate.RequestView) int {
	v.Status, v.Rule, v.Reason = gate.StatusAllowed, "read-only", "policy allows it"
	return http.StatusCreated
}

// TestNothingRuns covers every way the gate must stop without running the
// command (fail closed), each with its documented exit status.
func TestNothingRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(h *harness, cfg *Config)
		wantExit int
		wantLog  string
		status   string
	}{
		{"rejected", func(h *harness, _ *Config) {
			h.app.setPoll(func(i int, v *gate.RequestView) int {
				v.Status, v.RejectedBy, v.Reason = gate.StatusRejected, []string{"bob"}, "not on a Friday"
				return 200
			})
		}, ExitRejected, "rejected by bob: not on a Friday", "rejected"},
		{"denied by policy", func(h *harness, _ *Config) {
			h.app.setCreate(func(_ int, _ gate.CreateRequest, v *gate.RequestView) int {
				v.Status, v.Rule, v.Reason = gate.StatusRejected, "never", "denied by policy"
				return 201
			})
		}, ExitRejected, `rejected by policy rule never: denied by policy`, "rejected"},
		{"expired on the App", func(h *harness, _ *Config) {
			h.app.setPoll(func(i int, v *gate.RequestView) int {
				v.Status, v.Reason = gate.StatusExpired, "timeout of 30m passed"
				return 200
			})
		}, ExitExpired, "no decision in time", "expired"},
		{"cancelled on the App", func(h *harness, _ *Config) {
			h.app.setPoll(func(i int, v *gate.RequestView) int { v.Status = gate.StatusCancelled; return 200 })
		}, ExitCancelled, "request cancelled", "cancelled"},
		{"tampered decision hash", func(h *harness, _ *Config) {
			h.app.setCreate(func(_ int, _ gate.CreateRequest, v *gate.RequestView) int {
				v.Status, v.CommandSHA256 = gate.StatusAllowed, gate.CommandHash("echo harmless", "bash", "")
				return 201
			})
		}, ExitMismatch, "decision is bound to different bytes", "error"},
		{"App down", func(h *harness, cfg *Config) { cfg.Server = closedURL(t) }, ExitUnreachable,
			"cannot reach the stepgate App at http://127.0.0.1:", "error"},
		{"App keeps failing", func(h *harness, _ *Config) {
			h.app.setCreate(func(int, gate.CreateRequest, *gate.RequestView) int { return 503 })
		}, ExitUnreachable, "after 5 attempts: HTTP 503: create refused by the fake", "error"},
		{"App refuses", func(h *harness, _ *Config) {
			h.app.setCreate(func(int, gate.CreateRequest, *gate.RequestView) int { return 422 })
		}, ExitUnreachable, "refused asking the App for approval: HTTP 422: create refused by the fake", "error"},
		{"App down while waiting", func(h *harness, cfg *Config) {
			h.app.setPoll(func(int, *gate.RequestView) int { time.Sleep(5 * time.Millisecond); return 502 })
			cfg.Timeout = 300 * time.Millisecond
		}, ExitUnreachable, "cannot reach the stepgate App", "pending"},
		{"no id-token permission", func(h *harness, _ *Config) {
			delete(h.env, "ACTIONS_ID_TOKEN_REQUEST_URL")
		}, ExitNoToken, "`permissions: id-token: write`", "error"},
		{"missing working directory", func(h *harness, cfg *Config) {
			h.app.setCreate(allowed)
			cfg.WorkingDirectory = "nope"
		}, ExitUsage, "working directory", "allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			cfg := h.config(markCmd)
			tt.setup(h, &cfg)
			if got := h.run(context.Background(), cfg); got != tt.wantExit {
				t.Errorf("exit = %d, want %d\n%s", got, tt.wantExit, h.stderr.String())
			}
			if n := h.runs(); n != 0 {
				t.Errorf("command ran %d times, want 0", n)
			}
			if !strings.Contains(h.stderr.String(), "::error::") || !strings.Contains(h.stderr.String(), tt.wantLog) {
				t.Errorf("log lacks ::error:: with %q:\n%s", tt.wantLog, h.stderr.String())
			}
			out := h.outputs()
			if out["status"] != tt.status || out["exit-code"] != "" {
				t.Errorf("outputs status=%q exit-code=%q, want %q and empty", out["status"], out["exit-code"], tt.status)
			}
		})
	}
}

// closedURL is a loopback URL nothing listens on: connection refused.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(func(n int, req gate.CreateRequest, v *gate.RequestView) int {
		if n < 3 {
			return http.StatusServiceUnavailable
		}
		return allowed(n, req, v)
	})
	if code := h.run(context.Background(), h.config(markCmd)); code != 0 {
		t.Fatalf("exit = %d\n%s", code, h.stderr.String())
	}
	// Jittered (internal/retry): each wait in [d/2, d] of 1s, 2s.
	if got := h.sleeps; len(got) != 2 || got[0] < 500*time.Millisecond || got[0] > time.Second || got[1] < time.Second || got[1] > 2*time.Second {
		t.Errorf("backoff = %v, want one wait in [0.5s, 1s] then one in [1s, 2s]", got)
	}
	if h.runs() != 1 {
		t.Errorf("ran %d times, want 1", h.runs())
	}
}

func TestAppBackWhileWaiting(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setPoll(func(n int, v *gate.RequestView) int {
		if n <= 7 { // more failures than one round of retries
			return http.StatusServiceUnavailable
		}
		return approveAfter(0)(n, v)
	})
	if code := h.run(context.Background(), h.config(markCmd)); code != 0 || h.runs() != 1 {
		t.Fatalf("exit = %d, runs = %d; want 0 and 1\n%s", code, h.runs(), h.stderr.String())
	}
	if !strings.Contains(h.stderr.String(), "the App is not answering") {
		t.Errorf("no warning while the App was down:\n%s", h.stderr.String())
	}
}

func TestClientErrorFailsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(func(int, gate.CreateRequest, *gate.RequestView) int { return http.StatusBadRequest })
	h.run(context.Background(), h.config(markCmd))
	if rec := h.app.snapshot(); rec.creates != 1 || len(h.sleeps) != 0 {
		t.Errorf("creates = %d, sleeps = %v; want 1 attempt, no back-off", rec.creates, h.sleeps)
	}
}

func TestExpiredTokenIsRefreshed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	h.app.setReject(func(r *http.Request) bool { return strings.HasSuffix(r.Header.Get("Authorization"), ".1") })
	if code := h.run(context.Background(), h.config(markCmd)); code != 0 {
		t.Fatalf("exit = %d\n%s", code, h.stderr.String())
	}
	if rec := h.app.snapshot(); rec.tokens != 2 {
		t.Errorf("tokens minted = %d, want 2", rec.tokens)
	}
}

func TestClientTimeoutCancels(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setPoll(func(int, *gate.RequestView) int { time.Sleep(20 * time.Millisecond); return 200 })
	cfg := h.config(markCmd)
	cfg.Timeout = 200 * time.Millisecond
	if got := h.run(context.Background(), cfg); got != ExitExpired {
		t.Fatalf("exit = %d, want %d\n%s", got, ExitExpired, h.stderr.String())
	}
	rec := h.app.snapshot()
	if len(rec.cancels) != 1 || !strings.Contains(rec.cancels[0].Reason, "timed out") {
		t.Errorf("cancels = %+v, want one timeout", rec.cancels)
	}
	if h.runs() != 0 || h.outputs()["status"] != "expired" {
		t.Errorf("runs = %d, status = %q", h.runs(), h.outputs()["status"])
	}
}

func TestCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	h.app.setPoll(func(n int, _ *gate.RequestView) int {
		if n == 2 {
			cancel()
		}
		time.Sleep(10 * time.Millisecond)
		return 200
	})
	if got := h.run(ctx, h.config(markCmd)); got != ExitCancelled {
		t.Fatalf("exit = %d, want %d\n%s", got, ExitCancelled, h.stderr.String())
	}
	if rec := h.app.snapshot(); len(rec.cancels) != 1 {
		t.Errorf("cancels = %+v, want 1", rec.cancels)
	}
	if h.runs() != 0 {
		t.Error("command ran after cancellation")
	}
}

func TestCancelledWhileRunningKillsTheGroup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	h.opts = func(o *Options) { o.started = func() { close(started) } }
	// A grandchild ignoring nothing and a shell ignoring SIGTERM: the group
	// gets SIGTERM, then SIGKILL after the grace period. The shell touches
	// "armed" once its trap is set and the grandchild started; the run is
	// cancelled only then.
	cfg := h.config("trap '' TERM\nsleep 30 &\ntouch armed\nsleep 30\necho ran >> marker")
	armedFile := filepath.Join(filepath.Dir(h.marker()), "armed")
	armed := make(chan bool, 1)
	go func() {
		<-started
		armed <- testutil.WaitFor(10*time.Second, func() bool { _, err := os.Stat(armedFile); return err == nil })
		cancel()
	}()
	start := time.Now()
	code := h.run(ctx, cfg)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s to stop", elapsed)
	}
	select {
	case ok := <-armed:
		if !ok {
			t.Error("the command never set its trap (no armed file within 10s); it was cancelled anyway")
		}
	default: // not cancelled: the checks below fail
	}
	if code != 128+9 && code != 128+15 {
		t.Errorf("exit = %d, want a signal status", code)
	}
	if h.runs() != 0 {
		t.Error("the command went on after cancellation")
	}
	if rec := h.app.snapshot(); len(rec.results) != 1 {
		t.Errorf("results = %+v, want 1", rec.results)
	}
}

func TestSecretsAreMaskedAndRedacted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	h.env["DEPLOY_TOKEN"] = "s3cr3t-value-42"
	h.env["PATH_PREFIX"] = "/opt/not-a-secret"
	cmd := `: "x: s3cr3t-value-42" https://example.test/opt/not-a-secret; echo ran >> marker`
	if code := h.run(context.Background(), h.config(cmd)); code != 0 {
		t.Fatalf("exit = %d\n%s", code, h.stderr.String())
	}
	got := h.app.snapshot().created[0]
	if strings.Contains(got.Command, "s3cr3t") || !strings.Contains(got.Command, "***") || !strings.Contains(got.Command, "not-a-secret") {
		t.Errorf("sent command %q: want the token redacted, the rest kept", got.Command)
	}
	if got.CommandSHA256 != gate.CommandHash(cmd, "bash", "") {
		t.Error("hash must cover the real command")
	}
	log := h.stderr.String()
	if !strings.Contains(log, "::add-mask::s3cr3t-value-42") || strings.Contains(log, "add-mask::/") {
		t.Errorf("masking wrong:\n%s", log)
	}
	if strings.Count(log, "s3cr3t-value-42") != 1 {
		t.Errorf("secret printed outside add-mask:\n%s", log)
	}
}

func TestAppTextCannotInjectWorkflowCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setPoll(func(_ int, v *gate.RequestView) int {
		v.Status, v.RejectedBy = gate.StatusRejected, []string{"mallory\n::add-mask::stepgate"}
		v.Reason = "no\n::stop-commands::x\r\n::warning::fake"
		return 200
	})
	h.app.setCreate(func(_ int, _ gate.CreateRequest, v *gate.RequestView) int {
		v.Requirement, v.AskedUsers = "x\n::error::injected", []string{"a\n::group::g"}
		return 201
	})
	h.run(context.Background(), h.config(markCmd))
	for _, line := range strings.Split(h.stderr.String(), "\n") {
		for _, bad := range []string{"::add-mask::stepgate", "::stop-commands::", "::warning::fake", "::error::injected", "::group::g"} {
			if strings.HasPrefix(line, bad) {
				t.Errorf("the App's text started a workflow command: %q", line)
			}
		}
	}
}
