package hook

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// The tests in this file run the real binary: `stepgate serve` (bolt
// store) with the GitHub stand-in as GitHub and the local OIDC issuer as
// the runner's token endpoint, and `stepgate hook` as a child process fed
// a documented agent event, the way the agent starts it.

const flowPolicy = `version: 1
defaults:
  agent: { max_commands_per_minute: 30 }
rules:
  - name: never
    if: { command: ["psql *", "kubectl delete *", "rm -rf *", "terraform apply *"] }
    then: deny
  - name: read-only
    if: { command: ["ls", "ls *", "git status"] }
    then: allow
  - name: default
    require: { users: [alice] }
`

const (
	flowRepo  = "acme/app"
	prHead    = "1111111111111111111111111111111111111111"
	mergeSHA  = "2222222222222222222222222222222222222222"
	flowActor = "octo-actor"
)

var (
	binDir   string
	buildBin = sync.OnceValues(func() (string, error) {
		if bin := os.Getenv("STEPGATE_TEST_BINARY"); bin != "" {
			return bin, nil
		}
		_, file, _, _ := runtime.Caller(0)
		out := filepath.Join(binDir, "stepgate")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/stepgate")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build ./cmd/stepgate: %v\n%s", err, b)
		}
		return out, nil
	})
	flowKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "stepgate-hook-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

type flowApp struct {
	bin  string
	gh   *ghstandin.Server
	iss  *oidcissuer.Issuer
	url  string
	logs lockedBuffer
}

func startFlowApp(t testing.TB) *flowApp {
	t.Helper()
	bin, err := buildBin()
	if err != nil {
		t.Fatal(err)
	}
	a := &flowApp{bin: bin, gh: ghstandin.New(ghstandin.Options{WebhookSecret: "hook-secret"})}
	t.Cleanup(a.gh.Close)
	a.seedGitHub()
	key, err := flowKey()
	if err != nil {
		t.Fatal(err)
	}
	if a.iss, err = oidcissuer.New(oidcissuer.Options{Key: key}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.iss.Close)
	a.serve(t)
	a.gh.SetWebhookTarget(a.url + "/webhook")
	return a
}

// seedGitHub gives the stand-in the repository, its policy, its users and
// the agent's pull request.
func (a *flowApp) seedGitHub() {
	a.gh.AddRepo(ghstandin.Repo{FullName: flowRepo})
	a.gh.SetFile(flowRepo, "", ".github/stepgate.yml", flowPolicy)
	for login, role := range map[string]string{"alice": "write", flowActor: "write"} {
		a.gh.AddUser(login)
		a.gh.SetPermission(flowRepo, login, role)
	}
	a.gh.AddPullRequest(flowRepo, ghstandin.PullRequest{Number: 1, Title: "agent", HeadSHA: prHead, HeadRef: "agent", BaseRef: "main", Author: flowActor})
}

// serve starts `stepgate serve` on a free loopback port against the
// stand-in and the issuer, and waits until it is healthy.
func (a *flowApp) serve(t testing.TB) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	a.url = "http://" + addr
	serve := exec.Command(a.bin, "serve")
	serve.Env = append(os.Environ(),
		"STEPGATE_ADDR="+addr, "STEPGATE_PUBLIC_URL="+a.url,
		"STEPGATE_STORE=bolt:"+filepath.Join(t.TempDir(), "stepgate.db"),
		fmt.Sprintf("STEPGATE_GITHUB_APP_ID=%d", a.gh.AppID()),
		"STEPGATE_GITHUB_PRIVATE_KEY="+string(a.gh.AppPrivateKeyPEM()),
		"STEPGATE_WEBHOOK_SECRET=hook-secret", "STEPGATE_GITHUB_API_URL="+a.gh.URL(),
		"STEPGATE_OIDC_ISSUER="+a.iss.URL())
	serve.Stdout, serve.Stderr = &a.logs, &a.logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
		if t.Failed() {
			t.Logf("stepgate serve log:\n%s", a.logs.String())
		}
	})
	a.waitHealthy(t)
}

func (a *flowApp) waitHealthy(t testing.TB) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(a.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stepgate serve did not become healthy:\n%s", a.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// run is one workflow run of a pull request, in which an agent runs.
type run struct {
	env []string
}

func (a *flowApp) newRun(t testing.TB, id int64) run {
	claims := oidcissuer.Claims{
		Repository: flowRepo, RepositoryID: fmt.Sprint(a.gh.RepoID(flowRepo)), RepositoryOwner: "acme",
		RunID: strconv.FormatInt(id, 10), RunAttempt: "1", Actor: flowActor, Ref: "refs/pull/1/merge",
		SHA: mergeSHA, EventName: "pull_request", Workflow: "agent",
		JobWorkflowRef: flowRepo + "/.github/workflows/agent.yml@refs/pull/1/merge",
	}
	tokURL, tokToken := a.iss.RunnerEndpoint(claims)
	dir := t.TempDir()
	evPath := filepath.Join(dir, "event.json")
	ev, _ := json.Marshal(map[string]any{"number": 1, "pull_request": map[string]any{"number": 1, "head": map[string]any{"sha": prHead}}})
	if err := os.WriteFile(evPath, ev, 0o644); err != nil {
		t.Fatal(err)
	}
	return run{env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_REPOSITORY=" + flowRepo,
		"GITHUB_RUN_ID=" + strconv.FormatInt(id, 10), "GITHUB_RUN_ATTEMPT=1",
		"GITHUB_JOB=agent", "GITHUB_ACTION=claude", "GITHUB_ACTOR=" + flowActor,
		"GITHUB_SHA=" + mergeSHA, "GITHUB_REF=refs/pull/1/merge", "GITHUB_EVENT_NAME=pull_request",
		"GITHUB_EVENT_PATH=" + evPath, "GITHUB_WORKSPACE=" + dir, "RUNNER_TEMP=" + dir,
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + tokURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + tokToken,
		"STEPGATE_SERVER=" + a.url,
	}}
}

// hookProc is one `stepgate hook` child.
type hookProc struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{}
	code           int
}

func (a *flowApp) hook(t testing.TB, r run, event []byte, args ...string) *hookProc {
	t.Helper()
	p := &hookProc{done: make(chan struct{})}
	p.cmd = exec.Command(a.bin, append([]string{"hook"}, args...)...)
	p.cmd.Env = r.env
	p.cmd.Stdin = bytes.NewReader(event)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *hookProc) wait(t testing.TB, d time.Duration) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("stepgate hook still running after %s\nstderr: %s", d, p.stderr.String())
	}
	return result{code: p.code, stdout: p.stdout.String(), stderr: p.stderr.String()}
}

// claudeEvent is the documented Claude Code PreToolUse event with another
// command, session and tool call id.
func claudeEvent(t testing.TB, command, session, call string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, "claude/bash.event"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["session_id"], ev["tool_use_id"] = session, call
	ev["cwd"] = t.TempDir()
	ev["tool_input"].(map[string]any)["command"] = command
	b, _ := json.Marshal(ev)
	return b
}

// TestFlowApprovedByPRComment: a risky agent command waits for a reviewer;
// a /stepgate approve comment on the pull request lets the hook answer
// allow. The check run names the agent.
func TestFlowApprovedByPRComment(t *testing.T) {
	t.Parallel()
	a := startFlowApp(t)
	r := a.newRun(t, time.Now().UnixNano()%1e9)
	p := a.hook(t, r, claudeEvent(t, "make deploy ENV=staging", "sess-flow", "toolu_flow_1"), "--agent", "claude", "--timeout", "120s")
	cr := waitCheckRun(t, a, p)
	if cr.HeadSHA != prHead {
		t.Errorf("check run on %s, want the PR head %s", cr.HeadSHA, prHead)
	}
	select {
	case <-p.done:
		t.Fatalf("the hook answered before anyone approved: exit %d\n%s%s", p.code, p.stdout.String(), p.stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	if st, err := a.gh.PostIssueComment(flowRepo, 1, "alice", "/stepgate approve"); err != nil || st >= 300 {
		t.Fatalf("comment: %d %v", st, err)
	}
	res := p.wait(t, 30*time.Second)
	wantAllow(t, Claude, res)
	if _, why := decision(t, Claude, res.stdout); !strings.Contains(why, "alice") {
		t.Errorf("allow reason %q does not name the approver", why)
	}
	// The session's own check run lists the command as decided.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var session *ghstandin.CheckRun
		for _, c := range a.gh.CheckRuns(flowRepo) {
			if c.ExternalID == "agent-session" {
				session = &c
			}
		}
		if session != nil && session.Status == "completed" && strings.Contains(session.Summary, "make deploy ENV=staging") && strings.Contains(session.Summary, "approved") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no completed session check run listing the approved command: %+v", session)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFlowVelocityCap: with defaults.agent.max_commands_per_minute 30, the
// 31st command of a session's burst is denied with a reason naming the key.
func TestFlowVelocityCap(t *testing.T) {
	t.Parallel()
	a := startFlowApp(t)
	r := a.newRun(t, time.Now().UnixNano()%1e9+1)
	for i := 1; i <= 31; i++ {
		res := a.hook(t, r, claudeEvent(t, fmt.Sprintf("ls -la src/%d", i), "sess-burst", fmt.Sprintf("toolu_burst_%d", i))).wait(t, 30*time.Second)
		if i <= 30 {
			wantAllow(t, Claude, res)
			continue
		}
		wantDeny(t, Claude, res, "max_commands_per_minute is 30")
	}
	// Another session of the same run still runs.
	wantAllow(t, Claude, a.hook(t, r, claudeEvent(t, "ls", "sess-other", "toolu_other")).wait(t, 30*time.Second))
}

// TestFlowEachAgentsDocumentedEvent: each agent's documented shell event,
// unchanged, through the real App: the policy denies its command, and the
// hook answers with that agent's deny.
func TestFlowEachAgentsDocumentedEvent(t *testing.T) {
	t.Parallel()
	a := startFlowApp(t)
	r := a.newRun(t, time.Now().UnixNano()%1e9+3)
	for agent, file := range shellFixtures {
		res := a.hook(t, r, fixture(t, file)).wait(t, 60*time.Second)
		wantDeny(t, agent, res, "rule never")
	}
}

func waitCheckRun(t *testing.T, a *flowApp, p *hookProc) ghstandin.CheckRun {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range a.gh.CheckRuns(flowRepo) {
			if c.ExternalID != "agent-session" {
				return c
			}
		}
		select {
		case <-p.done:
			t.Fatalf("hook exited (%d) before a check run appeared:\n%s%s", p.code, p.stdout.String(), p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no check run appeared\n%s", p.stderr.String())
	return ghstandin.CheckRun{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// BenchmarkHookAllowed: an agent's allowed command, from starting the
// `stepgate hook` process to its allow answer, against a real `stepgate
// serve` on loopback (token minting, create, policy, store included).
// go test ./gate/hook -run '^$' -bench HookAllowed -benchtime 50x
func BenchmarkHookAllowed(b *testing.B) {
	a := startFlowApp(b)
	r := a.newRun(b, time.Now().UnixNano()%1e9+2)
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		res := a.hook(b, r, claudeEvent(b, fmt.Sprintf("ls src/%d", i), fmt.Sprintf("bench-%d", i/25), fmt.Sprintf("toolu_b%d", i))).wait(b, 30*time.Second)
		took = append(took, time.Since(start))
		if res.code != 0 {
			b.Fatalf("exit %d: %s", res.code, res.stderr)
		}
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
