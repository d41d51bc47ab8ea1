package action

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/testutil"
)

// The tests in this file run the real stepgate binary as a child process,
// with the environment contract of a GitHub runner (INPUT_*, GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE, RUNNER_TEMP, the OIDC token
// endpoint …).

var (
	binDir   string
	buildBin = sync.OnceValues(func() (string, error) {
		// STEPGATE_TEST_BINARY tests a prebuilt binary (e.g. the one
		// scripts/container-test.sh puts in the image) instead.
		if bin := os.Getenv("STEPGATE_TEST_BINARY"); bin != "" {
			return bin, nil
		}
		out := filepath.Join(binDir, "stepgate")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/stepgate")
		cmd.Dir = repoRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build ./cmd/stepgate: %v\n%s", err, b)
		}
		return out, nil
	})
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "stepgate-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// binary builds cmd/stepgate once per test process.
func binary(t testing.TB) string {
	t.Helper()
	path, err := buildBin()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// proc is one stepgate child process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	code           int
	startedAt      time.Time
}

func (h *harness) start(t testing.TB, args []string, extraEnv map[string]string) *proc {
	t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(binary(t), args...)
	env := map[string]string{}
	for k, v := range h.env {
		env[k] = v
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	sort.Strings(p.cmd.Env)
	p.cmd.Dir = h.env["GITHUB_WORKSPACE"]
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.startedAt = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = 128 + int(ws.Signal())
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("stepgate did not exit within %s\nstderr:\n%s", timeout, p.stderr.String())
		return -1
	}
}

// inputs is the environment of a container action step.
func inputs(server, run string, more ...string) map[string]string {
	m := map[string]string{"INPUT_RUN": run, "INPUT_SERVER": server, "INPUT_TIMEOUT": "1m",
		"INPUT_SHELL": "bash", "INPUT_ENVIRONMENT": "production"}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i]] = more[i+1]
	}
	return m
}

func waitForFile(t *testing.T, path string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("stepgate exited (%d) before %s appeared\n%s", p.code, path, p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not appear\n%s", path, p.stderr.String())
}

func TestBinaryActionApproved(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setPoll(approveAfter(2))
	os.Mkdir(filepath.Join(h.env["GITHUB_WORKSPACE"], "sub"), 0o755)
	// The runner keeps the hyphen of an input's name: INPUT_WORKING-DIRECTORY.
	p := h.start(t, []string{"action"}, inputs(h.app.srv.URL, "echo ran >> ../marker; echo out; exit 4",
		"INPUT_APPROVERS", "user:alice", "INPUT_WORKING-DIRECTORY", "sub"))
	if code := p.wait(t, 30*time.Second); code != 4 {
		t.Fatalf("exit = %d, want the command's 4\n%s", code, p.stderr.String())
	}
	if h.runs() != 1 {
		t.Errorf("ran %d times, want once", h.runs())
	}
	if !strings.Contains(p.stdout.String(), "out") {
		t.Errorf("stdout = %q", p.stdout.String())
	}
	out := h.outputs()
	if out["status"] != "approved" || out["exit-code"] != "4" || out["approved-by"] != "alice" || out["request-id"] != "sg_test1" {
		t.Errorf("outputs = %v", out)
	}
	summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	for _, s := range []string{"stepgate: approved", "| **Approved by** | alice |", "| **Exit code** | 4 |"} {
		if !bytes.Contains(summary, []byte(s)) {
			t.Errorf("summary lacks %q:\n%s", s, summary)
		}
	}
	rec := h.app.snapshot()
	if len(rec.results) != 1 || rec.results[0].ExitCode != 4 {
		t.Errorf("results = %+v", rec.results)
	}
	if got := rec.created[0]; len(got.Approvers) != 1 || got.Approvers[0] != "user:alice" || got.WorkingDirectory != "sub" {
		t.Errorf("approvers, working directory sent = %v, %q", got.Approvers, got.WorkingDirectory)
	}
}

func TestBinaryHostMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	p := h.start(t, []string{"run", "--", "sh", "-c", "echo ran >> marker; echo \"$1\"", "x", "two words"},
		map[string]string{"STEPGATE_SERVER": h.app.srv.URL})
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit = %d\n%s", code, p.stderr.String())
	}
	if h.runs() != 1 || strings.TrimSpace(p.stdout.String()) != "two words" {
		t.Errorf("runs = %d, stdout = %q (want the command's output only)", h.runs(), p.stdout.String())
	}
	if got := h.app.snapshot().created[0].Command; got != `sh -c 'echo ran >> marker; echo "$1"' x 'two words'` {
		t.Errorf("command sent = %s", got)
	}
}

func TestBinaryNothingRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(h *harness) string // returns the server URL
		wantExit int
		wantLog  string
	}{
		{"rejected", func(h *harness) string {
			h.app.setPoll(func(_ int, v *gate.RequestView) int {
				v.Status, v.RejectedBy, v.Reason = gate.StatusRejected, []string{"bob"}, "no"
				return 200
			})
			return h.app.srv.URL
		}, ExitRejected, "rejected by bob"},
		{"tampered", func(h *harness) string {
			h.app.setCreate(func(_ int, _ gate.CreateRequest, v *gate.RequestView) int {
				v.Status, v.CommandSHA256 = gate.StatusApproved, gate.CommandHash("true", "bash", "")
				return 201
			})
			return h.app.srv.URL
		}, ExitMismatch, "decision is bound to different bytes"},
		{"App down", func(h *harness) string { return closedURL(t) }, ExitUnreachable, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			server := tt.setup(h)
			p := h.start(t, []string{"action"}, inputs(server, markCmd))
			if code := p.wait(t, 60*time.Second); code != tt.wantExit {
				t.Errorf("exit = %d, want %d\n%s", code, tt.wantExit, p.stderr.String())
			}
			if !strings.Contains(p.stderr.String(), "::error::") || !strings.Contains(p.stderr.String(), tt.wantLog) {
				t.Errorf("log lacks ::error:: %q:\n%s", tt.wantLog, p.stderr.String())
			}
			if h.runs() != 0 {
				t.Error("the command ran")
			}
		})
	}
}

func TestBinarySIGTERMKillsTheCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	ws := h.env["GITHUB_WORKSPACE"]
	p := h.start(t, []string{"action"}, inputs(h.app.srv.URL, "sleep 30 & echo $! > bgpid\ntouch started\nwait\necho ran >> marker"))
	waitForFile(t, filepath.Join(ws, "started"), p)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code == 0 {
		t.Errorf("exit = 0 after SIGTERM\n%s", p.stderr.String())
	}
	if h.runs() != 0 {
		t.Error("the command went on after SIGTERM")
	}
	pidText, _ := os.ReadFile(filepath.Join(ws, "bgpid"))
	var pid int
	fmt.Sscan(string(pidText), &pid)
	// The group was killed before stepgate exited, but the kernel may take
	// a moment to end the grandchild (or leave it a zombie until reaped).
	if pid > 0 && !testutil.WaitFor(5*time.Second, func() bool { return syscall.Kill(pid, 0) != nil || isZombie(pid) }) {
		t.Errorf("background job %d survived", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err != nil || strings.Contains(string(b), ") Z ")
}

func TestBinarySIGTERMWhileWaitingCancels(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setPoll(func(int, *gate.RequestView) int { time.Sleep(50 * time.Millisecond); return 200 })
	p := h.start(t, []string{"action"}, inputs(h.app.srv.URL, markCmd))
	testutil.Eventually(t, 10*time.Second, func() bool { return h.app.snapshot().polls > 0 }, "stepgate to poll the fake App")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code != ExitCancelled {
		t.Errorf("exit = %d, want %d\n%s", code, ExitCancelled, p.stderr.String())
	}
	if rec := h.app.snapshot(); len(rec.cancels) != 1 {
		t.Errorf("cancels = %v, want 1", rec.cancels)
	}
	if h.runs() != 0 {
		t.Error("the command ran")
	}
}

func TestBinaryBadInputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.start(t, []string{"action"}, map[string]string{"INPUT_SERVER": h.app.srv.URL})
	if code := p.wait(t, 30*time.Second); code != ExitUsage || !strings.Contains(p.stderr.String(), "::error::stepgate: input `run` is required") {
		t.Errorf("exit = %d\n%s", code, p.stderr.String())
	}
}
