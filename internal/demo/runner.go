package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/gate/action"
	"github.com/stepgate/stepgate/gate/redact"
	"github.com/stepgate/stepgate/gate/risk"
	"github.com/stepgate/stepgate/internal/oidcissuer"
	"github.com/stepgate/stepgate/internal/stepoutput"
)

// fakeTools are stand-ins for the deployment tools the scripted workflow
// calls. They only print and sleep: whatever the gate lets through, nothing
// on this machine changes.
var fakeTools = map[string]string{
	"bin/kubectl": `case "$1" in
get) echo "NAME                     READY   STATUS    RESTARTS   AGE"
     echo "shop-web-7c9f8d6b5-x2k4p  1/1     Running   0          3d"
     echo "shop-api-5d7f9c8b4-m8n2q  1/1     Running   0          3d" ;;
*)   echo "kubectl $*   (demo stand-in: nothing was changed)" ;;
esac
`,
	"bin/terraform": `echo "terraform $*   (demo stand-in: nothing was changed)"
`,
	"workspace/bin/migrate": `echo "migrating orders: 20260301_add_discount_column ... done (demo stand-in)"
sleep 0.2
`,
	"workspace/deploy.sh": `echo "deploying shop $* (demo stand-in: nothing was changed)"
sleep 0.2
echo "rollout complete"
`,
}

// step is one gated step of the scripted workflow run.
type step struct {
	n           int
	command     string
	environment string
	reason      string
}

// stepResult is what the runner saw of one gated step.
type stepResult struct {
	exit       int
	outputs    map[string]string
	began      time.Time // gate started
	firstOut   time.Time // the command's first output (zero: it never ran)
	ended      time.Time
	stdout     string
	summaryLen int
}

// prepareRunner writes the fake tools and the pull_request event file.
func (w *world) prepareRunner() error {
	for rel, body := range fakeTools {
		if err := writeExecutable(filepath.Join(w.dir, rel), body); err != nil {
			return fmt.Errorf("writing %s: %w", rel, err)
		}
	}
	ev := map[string]any{
		"number": prNumber,
		"pull_request": map[string]any{
			"number": prNumber,
			"head":   map[string]any{"sha": headSHA, "ref": "release-1.4.2"},
		},
	}
	b, _ := json.Marshal(ev)
	return os.WriteFile(filepath.Join(w.dir, "event.json"), b, 0o644)
}

// runnerEnv is what the GitHub runner would set for step s of run runID,
// with the OIDC token endpoint served by the local issuer.
func (w *world) runnerEnv(s step, runID int64) map[string]string {
	ref := fmt.Sprintf("refs/pull/%d/merge", prNumber)
	claims := oidcissuer.Claims{
		Repository: repoName, RepositoryID: strconv.FormatInt(w.repoID, 10), RepositoryOwner: "acme",
		RunID: strconv.FormatInt(runID, 10), RunAttempt: "1", Actor: actor, Ref: ref, SHA: mergeSHA,
		EventName: "pull_request", Workflow: "deploy", JobWorkflowRef: workflowRef,
		HeadRef: "release-1.4.2", BaseRef: "main",
		// The job declares `environment:` (the stronger form): GitHub puts
		// it in the token, and the App applies that environment's rules.
		Environment: s.environment,
	}
	tokURL, tokToken := w.issuer.RunnerEndpoint(claims)
	stepDir := filepath.Join(w.dir, "steps", strconv.Itoa(s.n))
	return map[string]string{
		"CI": "true", "GITHUB_REPOSITORY": repoName, "GITHUB_REPOSITORY_ID": strconv.FormatInt(w.repoID, 10),
		"GITHUB_RUN_ID": strconv.FormatInt(runID, 10), "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_JOB": "deploy", "GITHUB_ACTION": fmt.Sprintf("step-%d", s.n), "GITHUB_ACTOR": actor,
		"GITHUB_SHA": mergeSHA, "GITHUB_REF": fmt.Sprintf("refs/pull/%d/merge", prNumber),
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": filepath.Join(w.dir, "event.json"),
		"GITHUB_WORKSPACE": filepath.Join(w.dir, "workspace"), "RUNNER_TEMP": stepDir,
		"GITHUB_OUTPUT": filepath.Join(stepDir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(stepDir, "summary.md"),
		"ACTIONS_ID_TOKEN_REQUEST_URL": tokURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": tokToken,
		"PATH": filepath.Join(w.dir, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME": w.dir,
	}
}

// runStep gates and runs one step in-process with gate/action, the same
// code `stepgate action` and `stepgate run` use. The gate's log and the
// command's output are shown indented under the step.
func (w *world) runStep(ctx context.Context, s step, runID int64, out *console) stepResult {
	env := w.runnerEnv(s, runID)
	stepDir := env["RUNNER_TEMP"]
	_ = os.MkdirAll(stepDir, 0o755)
	var res stepResult
	cmdOut := &stampWriter{w: out.indent("    │ ")}
	cfg := action.Config{
		Command: s.command, Server: w.appURL, Environment: s.environment, Reason: s.reason,
		Timeout: 10 * time.Minute, Shell: "bash",
	}
	g := action.New(cfg, action.Options{
		Getenv: func(k string) string { return env[k] },
		Environ: func() []string {
			list := make([]string, 0, len(env))
			for k, v := range env {
				list = append(list, k+"="+v)
			}
			return list
		},
		Stdout: cmdOut,
		Stderr: out.indent("    │ "),
		Assess: func(c string) action.Risk {
			a := risk.Assess(c)
			return action.Risk{Level: a.Level.String(), Score: a.Score, Reasons: a.Reasons}
		},
		Redact:   redact.String,
		PollWait: 10 * time.Second,
	})
	res.began = time.Now()
	res.exit = g.Run(ctx)
	res.ended = time.Now()
	res.firstOut, res.stdout = cmdOut.first(), cmdOut.text()
	res.outputs = stepoutput.Read(env["GITHUB_OUTPUT"])
	if b, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"]); err == nil {
		res.summaryLen = len(b)
	}
	return res
}

// stampWriter remembers when the command first wrote, which is when it
// started as far as latency goes, and keeps what it wrote.
type stampWriter struct {
	w  io.Writer
	mu sync.Mutex
	at time.Time
	b  strings.Builder
}

func (s *stampWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	if s.at.IsZero() && len(p) > 0 {
		s.at = time.Now()
	}
	s.b.Write(p)
	s.mu.Unlock()
	return s.w.Write(p)
}

func (s *stampWriter) first() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at
}

func (s *stampWriter) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// console is the demo's terminal: everything written to it, from any
// goroutine, goes through one lock so lines never interleave mid-line.
type console struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, format, args...)
}

// indent returns a writer that prefixes every line.
func (c *console) indent(prefix string) io.Writer {
	return &indentWriter{c: c, prefix: prefix}
}

// indentWriter prefixes every line; it is safe for concurrent writers.
type indentWriter struct {
	c      *console
	prefix string
	mid    bool // inside a line
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	iw.c.mu.Lock()
	defer iw.c.mu.Unlock()
	var b strings.Builder
	for _, c := range string(p) {
		if !iw.mid {
			b.WriteString(iw.prefix)
			iw.mid = true
		}
		b.WriteRune(c)
		if c == '\n' {
			iw.mid = false
		}
	}
	if _, err := io.WriteString(iw.c.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
