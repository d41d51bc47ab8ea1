// Package examples holds no code: its tests prove that every workflow in
// workflows-examples/ would be accepted by the action and `stepgate run`
// as written, that every policy parses, and that each gated command meets
// the rule its README says it meets.
package examples

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hmarr/codeowners"
	"gopkg.in/yaml.v3"

	"github.com/stepgate/stepgate/gate/policy"
	"github.com/stepgate/stepgate/gate/risk"
)

func TestActionStepsUseOnlyKnownInputs(t *testing.T) {
	t.Parallel()
	inputs := actionInputs(t)
	for _, ex := range loadExamples(t) {
		for file, w := range ex.workflows {
			for jn, j := range w.Jobs {
				for _, s := range j.Steps {
					if !strings.Contains(s.Uses, "stepgate") {
						continue
					}
					where := fmt.Sprintf("%s/%s job %s step %q", ex.name, file, jn, s.Name)
					if s.Uses != actionRef {
						t.Errorf("%s: uses %q, want %q in every example", where, s.Uses, actionRef)
					}
					for k := range s.With {
						if _, ok := inputs[k]; !ok {
							t.Errorf("%s: with.%s is not an input of action.yml", where, k)
						}
					}
					for k, required := range inputs {
						if _, ok := s.With[k]; required && !ok {
							t.Errorf("%s: required input %s missing", where, k)
						}
					}
				}
			}
		}
	}
}

func TestWorkflowsGrantIDToken(t *testing.T) {
	t.Parallel()
	for _, ex := range loadExamples(t) {
		for file, w := range ex.workflows {
			top := permissions(t, &w.Permissions)
			for jn, j := range w.Jobs {
				p := top
				if j.Permissions.Kind != 0 {
					p = permissions(t, &j.Permissions)
				}
				if p["id-token"] != "write" || p["contents"] != "read" {
					t.Errorf("%s/%s job %s: permissions %v, want id-token: write and contents: read", ex.name, file, jn, p)
				}
			}
		}
	}
}

func permissions(t *testing.T, n *yaml.Node) map[string]string {
	t.Helper()
	p := map[string]string{}
	if n.Kind == 0 {
		return p
	}
	if err := n.Decode(&p); err != nil {
		t.Errorf("permissions at line %d: want a mapping: %v", n.Line, err)
	}
	return p
}

func TestPoliciesParse(t *testing.T) {
	t.Parallel()
	for _, ex := range loadExamples(t) {
		if _, err := policy.Parse(ex.name+"/.github/stepgate.yml", ex.policy); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// wantOwners: who a `codeowners:` leaf routes to, looked up the way the App
// does (the path as written in the policy, last matching line wins).
var wantOwners = map[string]string{
	"db-migration/db/migrations/":       "@dana-oncall",
	"oncall-routing/services/payments/": "@priya @marco",
	"oncall-routing/services/search/":   "@acme/search-oncall",
	"oncall-routing/services/web/":      "@lee",
}

// TestCodeownersRouteAsDocumented: every `codeowners:` path a policy asks
// about routes to the people its README names, or nobody could approve.
func TestCodeownersRouteAsDocumented(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, ex := range loadExamples(t) {
		rules, err := codeowners.ParseFile(bytes.NewReader(ex.codeowners))
		if err != nil {
			t.Errorf("%s/.github/CODEOWNERS: %v", ex.name, err)
			continue
		}
		p, err := policy.Parse("stepgate.yml", ex.policy)
		if err != nil {
			continue // TestPoliciesParse reports it
		}
		for _, r := range p.Rules {
			for _, path := range codeownerPaths(r.Require) {
				key := ex.name + "/" + path
				seen[key] = true
				var got []string
				if m, err := rules.Match(strings.TrimPrefix(path, "/")); err == nil && m != nil {
					for _, o := range m.Owners {
						got = append(got, o.String())
					}
				}
				if g := strings.Join(got, " "); g != wantOwners[key] {
					t.Errorf("%s: rule %s routes to %q, want %q", key, r.Name, g, wantOwners[key])
				}
			}
		}
	}
	for key := range wantOwners {
		if !seen[key] {
			t.Errorf("wantOwners lists %s, which no policy asks about", key)
		}
	}
}

func codeownerPaths(r *policy.Requirement) []string {
	if r == nil {
		return nil
	}
	var out []string
	if r.Codeowners != "" {
		out = append(out, r.Codeowners)
	}
	for _, c := range append(append([]*policy.Requirement(nil), r.AllOf...), r.AnyOf...) {
		out = append(out, codeownerPaths(c)...)
	}
	return out
}

// daytime is a Wednesday 11:00 in Berlin: inside every working-hours window
// the examples use.
var daytime = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// wantRule says, per example, which rule each gated step's command meets.
// Keys are "file/job/step".
var wantRule = map[string]map[string]string{
	"db-migration": {
		"migrate.yml/migrate/Show the current schema version (allowed by policy)": "schema-version",
		"migrate.yml/migrate/Apply pending migrations (DBA + on-call approval)":   "prod-migration",
	},
	"regional-rollout": {
		"rollout.yml/canary/Deploy to the canary region":                          "canary",
		"rollout.yml/canary/Watch the canary for ten minutes (allowed by policy)": "status",
		"rollout.yml/regions/Deploy to ${{ matrix.region }}":                      "regions",
	},
	"oncall-routing": {
		"deploy-service.yml/deploy/Deploy ${{ inputs.service }}": "payments",
	},
	"read-only-allowlist": {
		"nightly-report.yml/report/Pods":                                 "read-only",
		"nightly-report.yml/report/Recent events":                        "read-only",
		"nightly-report.yml/report/Buckets":                              "read-only",
		"nightly-report.yml/report/Workspace listing (container action)": "read-only",
	},
	"host-mode": {
		"helm-deploy.yml/deploy/What would change (allowed by policy)": "read-only",
		"helm-deploy.yml/deploy/Deploy (approval)":                     "production",
		"helm-deploy.yml/deploy/Check the rollout (allowed by policy)": "read-only",
	},
	"pr-preview": {
		"preview.yml/deploy/Deploy preview":   "preview",
		"preview.yml/teardown/Remove preview": "teardown",
	},
	"deployment-protection": {
		"deploy.yml/deploy/Check the cluster (allowed by policy)": "read-only",
		"deploy.yml/deploy/Roll out (per-command gate)":           "rollout",
	},
}

func TestGatedStepsMeetTheirRule(t *testing.T) {
	t.Parallel()
	for _, ex := range loadExamples(t) {
		p, err := policy.Parse("stepgate.yml", ex.policy)
		if err != nil {
			t.Errorf("%s: %v", ex.name, err)
			continue
		}
		want := wantRule[ex.name]
		seen := map[string]bool{}
		files := make([]string, 0, len(ex.workflows))
		for f := range ex.workflows {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			for _, g := range gatedCommands(t, f, ex.workflows[f]) {
				key := g.file + "/" + g.job + "/" + g.step
				seen[key] = true
				m := p.Evaluate(policy.Facts{
					Command: g.cfg.Command, Environment: g.cfg.Environment, Actor: "alice",
					Branch: "main", Risk: risk.Assess(g.cfg.Command).Level, Time: daytime,
				})
				w, ok := want[key]
				if !ok {
					t.Errorf("%s: %s (command %q) has no expected rule in wantRule", ex.name, key, g.cfg.Command)
					continue
				}
				if m.Rule != w {
					t.Errorf("%s: %s: command %q in %q meets rule %q, want %q", ex.name, key, g.cfg.Command, g.cfg.Environment, m.Rule, w)
				}
			}
		}
		for key := range want {
			if !seen[key] {
				t.Errorf("%s: wantRule lists %s, which is no gated step", ex.name, key)
			}
		}
	}
}
