package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/oidcissuer"
	"github.com/stepgate/stepgate/internal/stepoutput"
	"github.com/stepgate/stepgate/internal/testutil"
)

// gateSpec is one workflow step using the action.
type gateSpec struct {
	repo    string
	repoID  int64
	command string
	inputs  map[string]string // extra inputs: environment, timeout, approvers …
	push    bool              // a push run (no PR): the check run goes on sha
	pr      int               // pull_request run of this PR (default 1)
	sha     string            // head commit (default headSHA)
	actor   string            // default "octo-actor"
	// host runs `stepgate run --command …` (host mode) with the inputs as
	// flags and STEPGATE_SERVER, instead of the container entrypoint.
	host bool
	// files are written into the workspace before the gate starts (the
	// checkout, possibly changed by an earlier step); env is added to the
	// gate's environment (what earlier steps put in GITHUB_ENV).
	files map[string]string
	env   []string
}

const (
	headSHA  = "1111111111111111111111111111111111111111"
	mergeSHA = "2222222222222222222222222222222222222222"
)

// gateRun is one `stepgate action` child process.
type gateRun struct {
	t      *testing.T
	dir    string
	cmd    *exec.Cmd
	done   chan struct{}
	output *testutil.SyncBuffer
	exit   int
}

// startGate runs `stepgate action` with the environment a GitHub runner
// gives a container action: INPUT_*, GITHUB_*, the OIDC token endpoint.
func (c *cluster) startGate(t *testing.T, g gateSpec) *gateRun {
	t.Helper()
	if g.actor == "" {
		g.actor = "octo-actor"
	}
	if g.sha == "" {
		g.sha = headSHA
	}
	if g.pr == 0 && !g.push {
		g.pr = 1
	}
	run := c.runIDs.Add(1) + 70000 // every gate is its own workflow run
	dir := t.TempDir()
	ws := filepath.Join(dir, "workspace")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range g.files {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, gateEnv(c, g, run, dir, ws)...)
	env = append(env, g.env...)
	if !g.host {
		env = append(env, "INPUT_RUN="+g.command, "INPUT_SERVER="+c.publicURL())
	}
	args := []string{"action"}
	if g.host {
		env = append(env, "STEPGATE_SERVER="+c.publicURL())
		args = []string{"run", "--command", g.command}
	}
	for k, v := range g.inputs {
		if g.host {
			args = append(args, "--"+k, v)
		} else {
			env = append(env, "INPUT_"+strings.ToUpper(k)+"="+v)
		}
	}
	gr := &gateRun{t: t, dir: dir, done: make(chan struct{}), output: &testutil.SyncBuffer{}}
	gr.cmd = exec.Command(suite.bin, args...)
	gr.cmd.Env = env
	gr.cmd.Dir = ws
	gr.cmd.Stdout, gr.cmd.Stderr = gr.output, gr.output
	if err := gr.cmd.Start(); err != nil {
		t.Fatalf("starting stepgate action: %v", err)
	}
	go func() {
		err := gr.cmd.Wait()
		gr.exit = exitStatus(gr.cmd, err)
		close(gr.done)
	}()
	t.Cleanup(func() {
		if !gr.exited() {
			_ = gr.cmd.Process.Signal(syscall.SIGKILL)
			<-gr.done
		}
	})
	return gr
}

func gateEnv(c *cluster, g gateSpec, run int64, dir, ws string) []string {
	event, ref := "pull_request", fmt.Sprintf("refs/pull/%d/merge", g.pr)
	runSHA := mergeSHA
	if g.push {
		event, ref, runSHA = "push", "refs/heads/main", g.sha
	}
	claims := oidcissuer.Claims{
		Repository: g.repo, RepositoryID: strconv.FormatInt(g.repoID, 10),
		RepositoryOwner: strings.Split(g.repo, "/")[0], RunID: strconv.FormatInt(run, 10),
		RunAttempt: "1", Actor: g.actor, Ref: ref, SHA: runSHA, EventName: event,
		Workflow: "deploy", JobWorkflowRef: g.repo + "/.github/workflows/deploy.yml@" + ref,
		// A gate given an environment runs in a job that declares it (the
		// stronger form): GitHub puts it in the token.
		Environment: g.inputs["environment"],
	}
	tokURL, tokToken := c.iss.RunnerEndpoint(claims)
	evPath := filepath.Join(dir, "event.json")
	ev := map[string]any{"after": g.sha}
	if !g.push {
		ev = map[string]any{"number": g.pr, "pull_request": map[string]any{"number": g.pr, "head": map[string]any{"sha": g.sha}}}
	}
	b, _ := json.Marshal(ev)
	_ = os.WriteFile(evPath, b, 0o644)
	return []string{
		"GITHUB_ACTIONS=true", "CI=true",
		"GITHUB_REPOSITORY=" + g.repo, "GITHUB_REPOSITORY_ID=" + strconv.FormatInt(g.repoID, 10),
		"GITHUB_RUN_ID=" + strconv.FormatInt(run, 10), "GITHUB_RUN_ATTEMPT=1",
		"GITHUB_JOB=deploy", "GITHUB_ACTION=gate", "GITHUB_ACTOR=" + g.actor,
		"GITHUB_SHA=" + runSHA, "GITHUB_REF=" + ref, "GITHUB_EVENT_NAME=" + event, "GITHUB_EVENT_PATH=" + evPath,
		"GITHUB_WORKSPACE=" + ws, "RUNNER_TEMP=" + dir,
		"GITHUB_OUTPUT=" + filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary.md"),
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + tokURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + tokToken,
	}
}

// publicURL is where gates reach the App: the failover proxy.
func (c *cluster) publicURL() string { return "http://" + c.proxy.ln.Addr().String() }

func exitStatus(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState != nil {
		return cmd.ProcessState.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func (g *gateRun) exited() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

// wait waits for the gate to end and returns its exit status and outputs.
func (g *gateRun) wait(d time.Duration) (int, map[string]string) {
	g.t.Helper()
	select {
	case <-g.done:
	case <-time.After(d):
		g.t.Fatalf("the gate did not end within %s:\n%s", d, g.output.String())
	}
	return g.exit, stepoutput.Read(filepath.Join(g.dir, "output"))
}

// stillWaiting fails the test if the gate ends within d.
func (g *gateRun) stillWaiting(d time.Duration, why string) {
	g.t.Helper()
	select {
	case <-g.done:
		g.t.Fatalf("the gate ended (exit %d) but should still wait: %s\n%s", g.exit, why, g.output.String())
	case <-time.After(d):
	}
}

// marker is how many times the command ran (it appends one line per run).
func (g *gateRun) marker() int {
	b, err := os.ReadFile(filepath.Join(g.dir, "workspace", "marker"))
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

func (g *gateRun) describe() string {
	return fmt.Sprintf("exit %d\n%s", g.exit, g.output.String())
}
