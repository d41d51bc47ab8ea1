package benchrig

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/stepgate/stepgate/gate/action"
	"github.com/stepgate/stepgate/gate/redact"
	"github.com/stepgate/stepgate/gate/risk"
	"github.com/stepgate/stepgate/internal/testutil"
)

// GateSpec is one gated step.
type GateSpec struct {
	Command  string
	Server   string // the App URL the gate talks to
	RunID    int64
	Step     string             // GITHUB_ACTION (default "step")
	Timeout  time.Duration      // decision timeout (default 5m)
	PollWait time.Duration      // long-poll round (default 30s, as the action)
	Client   *http.Client       // default: a fresh client
	Retry    action.RetryPolicy // default action.DefaultRetry
}

func (g GateSpec) stepName() string {
	if g.Step == "" {
		return "step"
	}
	return g.Step
}

// GateResult is what the step saw.
type GateResult struct {
	Exit     int
	Began    time.Time // the gate started
	FirstOut time.Time // the command's first output: it has started (zero: never ran)
	Ended    time.Time
	Stdout   string
	Stderr   string // the gate's log and the command's stderr
}

// RunGate gates and runs one step in this process with gate/action, under
// the environment a GitHub runner gives a step.
func (w *World) RunGate(ctx context.Context, g GateSpec) GateResult {
	if g.Timeout == 0 {
		g.Timeout = 5 * time.Minute
	}
	if g.PollWait == 0 {
		g.PollWait = 30 * time.Second
	}
	if g.Client == nil {
		g.Client = &http.Client{Transport: &http.Transport{}}
		defer g.Client.CloseIdleConnections()
	}
	stepDir := filepath.Join(w.Dir, "steps", strconv.FormatInt(g.RunID, 10)+"-"+g.stepName())
	_ = os.MkdirAll(stepDir, 0o755)
	tokURL, tokToken := w.Issuer.RunnerEndpoint(w.Claims(g.RunID))
	env := map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": Repo, "GITHUB_REPOSITORY_ID": strconv.FormatInt(w.RepoID, 10),
		"GITHUB_RUN_ID": strconv.FormatInt(g.RunID, 10), "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_JOB": "deploy", "GITHUB_ACTION": g.stepName(), "GITHUB_ACTOR": Actor,
		"GITHUB_SHA": MergeSHA, "GITHUB_REF": fmt.Sprintf("refs/pull/%d/merge", PR),
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": filepath.Join(w.Dir, "event.json"),
		"GITHUB_WORKSPACE": w.Dir, "RUNNER_TEMP": stepDir,
		"GITHUB_OUTPUT": filepath.Join(stepDir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(stepDir, "summary.md"),
		"ACTIONS_ID_TOKEN_REQUEST_URL": tokURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": tokToken,
		"PATH": os.Getenv("PATH"), "HOME": w.Dir,
	}
	out := &stampWriter{}
	var errBuf testutil.SyncBuffer
	cfg := action.Config{Command: g.Command, Server: g.Server, Timeout: g.Timeout, Shell: "bash"}
	gt := action.New(cfg, action.Options{
		Getenv: func(k string) string { return env[k] },
		Environ: func() []string {
			list := make([]string, 0, len(env))
			for k, v := range env {
				list = append(list, k+"="+v)
			}
			return list
		},
		Stdout: out, Stderr: &errBuf, HTTPClient: g.Client, PollWait: g.PollWait, Retry: g.Retry,
		Assess: func(c string) action.Risk {
			a := risk.Assess(c)
			return action.Risk{Level: a.Level.String(), Score: a.Score, Reasons: a.Reasons}
		},
		Redact: redact.String,
	})
	res := GateResult{Began: time.Now()}
	res.Exit = gt.Run(ctx)
	res.Ended = time.Now()
	res.FirstOut, res.Stdout = out.first()
	res.Stderr = errBuf.String()
	return res
}

// stampWriter remembers when the command first wrote.
type stampWriter struct {
	mu sync.Mutex
	at time.Time
	b  bytes.Buffer
}

func (s *stampWriter) Write(p []byte) (int, error) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.at.IsZero() && len(p) > 0 {
		s.at = now
	}
	return s.b.Write(p)
}

func (s *stampWriter) first() (time.Time, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at, s.b.String()
}
