package examples

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/stepgate/stepgate/gate/action"
)

// actionRef is the one `uses:` every example spells; adopters replace it.
const actionRef = "stepgate/stepgate@v1"

// example is one directory of workflows-examples/.
type example struct {
	name       string
	dir        string
	workflows  map[string]*workflow // by file name
	policy     []byte
	codeowners []byte
}

type workflow struct {
	Name        string            `yaml:"name"`
	Permissions yaml.Node         `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]*job   `yaml:"jobs"`
}

type job struct {
	Permissions yaml.Node         `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Steps       []*step           `yaml:"steps"`
}

type step struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]any    `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// gated is one command a workflow puts behind the gate, either through the
// action or through `stepgate run`, with GitHub expressions substituted by
// sample values.
type gated struct {
	file, job, step string
	via             string // "action" or "run"
	cfg             action.Config
}

func loadExamples(t *testing.T) []*example {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var out []*example
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		ex := &example{name: e.Name(), dir: e.Name(), workflows: map[string]*workflow{}}
		ex.policy = mustRead(t, filepath.Join(e.Name(), ".github", "stepgate.yml"))
		ex.codeowners = mustRead(t, filepath.Join(e.Name(), ".github", "CODEOWNERS"))
		mustRead(t, filepath.Join(e.Name(), "README.md"))
		files, _ := filepath.Glob(filepath.Join(e.Name(), ".github", "workflows", "*.y*ml"))
		if len(files) == 0 {
			t.Errorf("%s: no workflow in .github/workflows/", e.Name())
		}
		for _, f := range files {
			ex.workflows[filepath.Base(f)] = decodeWorkflow(t, f)
		}
		out = append(out, ex)
	}
	if len(out) < 6 {
		t.Fatalf("found %d examples, want at least 6", len(out))
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("every example needs %s: %v", path, err)
	}
	return b
}

func decodeWorkflow(t *testing.T, path string) *workflow {
	t.Helper()
	data := mustRead(t, path)
	var w workflow
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(w.Jobs) == 0 {
		t.Fatalf("%s: no jobs", path)
	}
	return &w
}

// actionInputs reads the inputs of the repository's action.yml.
func actionInputs(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "action.yml"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("action.yml: %v", err)
		}
		t.Skipf("action.yml not there yet: %v", err)
	}
	var a struct {
		Inputs map[string]struct {
			Required bool   `yaml:"required"`
			Default  string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	req := map[string]bool{}
	for name, in := range a.Inputs {
		req[name] = in.Required && in.Default == ""
	}
	return req
}

var exprRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// sampleValues stand in for GitHub expressions, the way GitHub substitutes
// them before a step sees its inputs.
var sampleValues = map[string]string{
	"github.sha":                           "4f1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5",
	"github.event.pull_request.head.sha":   "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
	"github.event.number":                  "42",
	"github.ref_name":                      "v1.4.0",
	"github.actor":                         "alice",
	"inputs.service":                       "payments",
	"matrix.region":                        "eu-west-1",
	"secrets.PROD_DATABASE_URL":            "postgres://app:hunter2@db.internal/app",
	"steps.deploy.outputs.status":          "approved",
	"steps.deploy.outputs.approved-by":     "bob",
	"steps.migrate.outputs.status":         "approved",
	"steps.migrate.outputs.approved-by":    "bob",
	"steps.migrate.outputs.exit-code":      "0",
	"steps.preview.outputs.status":         "approved",
	"steps.preview.outputs.approved-by":    "bob",
	"github.event.pull_request.number":     "42",
	"github.event.pull_request.head.ref":   "feature",
	"github.event.pull_request.user.login": "alice",
}

func substitute(s string) (string, error) {
	var missing []string
	out := exprRE.ReplaceAllStringFunc(s, func(m string) string {
		key := exprRE.FindStringSubmatch(m)[1]
		if v, ok := sampleValues[key]; ok {
			return v
		}
		missing = append(missing, key)
		return m
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no sample value for expression(s) %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// gatedCommands lists every gated command of a workflow.
func gatedCommands(t *testing.T, file string, w *workflow) []gated {
	t.Helper()
	var out []gated
	jobs := make([]string, 0, len(w.Jobs))
	for name := range w.Jobs {
		jobs = append(jobs, name)
	}
	sort.Strings(jobs)
	for _, jn := range jobs {
		j := w.Jobs[jn]
		for _, s := range j.Steps {
			env := mergeEnv(w.Env, j.Env, s.Env)
			switch {
			case strings.Contains(s.Uses, "stepgate"):
				cfg := actionConfig(t, file, s)
				out = append(out, gated{file, jn, s.Name, "action", cfg})
			case strings.Contains(s.Run, "stepgate run"):
				for _, cfg := range runConfigs(t, file, s, env) {
					out = append(out, gated{file, jn, s.Name, "run", cfg})
				}
			}
		}
	}
	return out
}

func mergeEnv(envs ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, e := range envs {
		for k, v := range e {
			out[k] = v
		}
	}
	return out
}

func actionConfig(t *testing.T, file string, s *step) action.Config {
	t.Helper()
	cfg, err := action.ConfigFromInputs(func(name string) string {
		v, ok := s.With[name]
		if !ok {
			return ""
		}
		str, err := substitute(strings.TrimSpace(fmt.Sprint(v)))
		if err != nil {
			t.Errorf("%s: step %q: input %s: %v", file, s.Name, name, err)
		}
		return str
	})
	if err != nil {
		t.Errorf("%s: step %q: the action would refuse its inputs: %v", file, s.Name, err)
	}
	return cfg
}

// runConfigs finds each `stepgate run …` in a run: script and parses its
// arguments with the real flag parser.
func runConfigs(t *testing.T, file string, s *step, env map[string]string) []action.Config {
	t.Helper()
	script, err := substitute(s.Run)
	if err != nil {
		t.Fatalf("%s: step %q: %v", file, s.Name, err)
	}
	f, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		t.Fatalf("%s: step %q: run: is not valid shell: %v", file, s.Name, err)
	}
	var pairs []string
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	ecfg := &expand.Config{Env: expand.ListEnviron(pairs...)}
	var out []action.Config
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) < 2 || call.Args[0].Lit() != "stepgate" || call.Args[1].Lit() != "run" {
			return true
		}
		var args []string
		for _, w := range call.Args[2:] {
			lit, err := expand.Literal(ecfg, w)
			if err != nil {
				t.Errorf("%s: step %q: %v", file, s.Name, err)
			}
			args = append(args, lit)
		}
		var stderr bytes.Buffer
		cfg, err := action.ParseFlags(args, func(k string) string { return env[k] }, io.Discard, &stderr)
		if err != nil {
			t.Errorf("%s: step %q: stepgate run would refuse %q: %v %s", file, s.Name, args, err, stderr.String())
		}
		out = append(out, cfg)
		return true
	})
	if len(out) == 0 {
		t.Errorf("%s: step %q mentions stepgate run but calls it nowhere", file, s.Name)
	}
	return out
}
