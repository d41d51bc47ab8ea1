package action

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// harness is one runner: a workspace, the runner's files and environment,
// and a fake App.
type harness struct {
	t      testing.TB
	app    *fakeApp
	dir    string
	env    map[string]string
	stdout syncBuffer
	stderr syncBuffer
	sleeps []time.Duration
	opts   func(*Options)
}

type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	first time.Time // when the first byte arrived (benchmarks)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first.IsZero() {
		s.first = time.Now()
	}
	return s.b.Write(p)
}

func (s *syncBuffer) firstWrite() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t testing.TB) *harness {
	dir := t.TempDir()
	h := &harness{t: t, app: newFakeApp(t), dir: dir}
	for _, d := range []string{"workspace", "temp", "files"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.env = map[string]string{
		"PATH":                           os.Getenv("PATH"),
		"HOME":                           dir,
		"GITHUB_ACTIONS":                 "true",
		"GITHUB_OUTPUT":                  filepath.Join(dir, "files", "output"),
		"GITHUB_STEP_SUMMARY":            filepath.Join(dir, "files", "summary"),
		"GITHUB_WORKSPACE":               filepath.Join(dir, "workspace"),
		"RUNNER_TEMP":                    filepath.Join(dir, "temp"),
		"GITHUB_JOB":                     "deploy",
		"GITHUB_ACTION":                  "migrate",
		"GITHUB_SHA":                     "1111111111111111111111111111111111111111",
		"GITHUB_EVENT_NAME":              "push",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   h.app.tokenSrv.URL + "/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token",
	}
	return h
}

func (h *harness) config(command string) Config {
	return Config{Command: command, Server: h.app.srv.URL + "/", Shell: "bash", Timeout: time.Minute, Environment: "production"}
}

func (h *harness) environ() []string {
	var out []string
	for k, v := range h.env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (h *harness) options() Options {
	var mu sync.Mutex
	o := Options{
		Getenv:  func(k string) string { return h.env[k] },
		Environ: h.environ,
		Stdout:  &h.stdout,
		Stderr:  &h.stderr,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			h.sleeps = append(h.sleeps, d)
			mu.Unlock()
			return ctx.Err()
		},
		PollWait:  time.Second,
		KillGrace: 500 * time.Millisecond,
		Assess:    func(string) Risk { return Risk{Level: "low", Score: 10, Reasons: []string{"runs a script"}} },
	}
	if h.opts != nil {
		h.opts(&o)
	}
	return o
}

func (h *harness) run(ctx context.Context, cfg Config) int {
	return New(cfg, h.options()).Run(ctx)
}

// marker is a file the gated command appends to, proving whether (and how
// often) it ran.
func (h *harness) marker() string { return filepath.Join(h.dir, "workspace", "marker") }

func (h *harness) runs() int {
	b, err := os.ReadFile(h.marker())
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return strings.Count(string(b), "ran\n")
}

// outputs parses GITHUB_OUTPUT's name<<delimiter blocks.
func (h *harness) outputs() map[string]string {
	b, _ := os.ReadFile(h.env["GITHUB_OUTPUT"])
	return parseOutputFile(string(b))
}

func parseOutputFile(s string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}
