package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const deployPolicy = `version: 1
defaults: { timeout: 1h }
rules: []
deployments:
  - name: changed-workflow
    if: { environment: production, workflow_changed: true }
    require:
      all_of:
        - team: acme/sre
        - codeowners: .github/workflows/
  - name: night
    if: { environment: production, outside_hours: "Mon-Fri 09:00-18:00 UTC" }
    require: { role: admin }
  - name: prod
    if: { environment: [production, prod-*], branch: main }
    require: { team: acme/sre }
    remember: 12h
    timeout: 20m
  - name: staging
    if: { environment: staging }
    then: allow
  - name: no-bots
    if: { actor: "*\\[bot]" }
    then: deny
`

func TestEvaluateDeployment(t *testing.T) {
	t.Parallel()
	p := mustParse(t, deployPolicy)
	day := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) // a Wednesday
	night := time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		facts DeploymentFacts
		rule  string
		dec   Decision
	}{
		{"prod from main by day", DeploymentFacts{Environment: "production", Branch: "refs/heads/main", Actor: "dev", Time: day}, "prod", Require},
		{"prod glob, env case", DeploymentFacts{Environment: "Prod-EU", Branch: "main", Time: day}, "prod", Require},
		{"changed workflow is stricter", DeploymentFacts{Environment: "production", Branch: "main", Time: day, WorkflowChanged: true}, "changed-workflow", Require},
		{"night", DeploymentFacts{Environment: "production", Branch: "main", Time: night}, "night", Require},
		{"other branch falls to default", DeploymentFacts{Environment: "production", Branch: "feature", Time: day}, DefaultRuleName, Require},
		{"pull request ref is no branch", DeploymentFacts{Environment: "production", Branch: "refs/pull/7/merge", Time: day}, DefaultRuleName, Require},
		{"staging allowed", DeploymentFacts{Environment: "staging", Time: day}, "staging", Allow},
		{"deny wins wherever it stands", DeploymentFacts{Environment: "staging", Actor: "Renovate[bot]", Time: day}, "no-bots", Deny},
		{"unknown environment", DeploymentFacts{Environment: "qa", Time: day}, DefaultRuleName, Require},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := p.EvaluateDeployment(tt.facts)
			if m.Rule != tt.rule || m.Decision != tt.dec {
				t.Fatalf("EvaluateDeployment = %s/%s, want %s/%s", m.Rule, m.Decision, tt.rule, tt.dec)
			}
			if (m.Require != nil) != (tt.dec == Require) {
				t.Errorf("Require = %v with decision %s", m.Require, m.Decision)
			}
			if m.Learn != nil {
				t.Errorf("Learn = %+v; deployment rules never learn", m.Learn)
			}
		})
	}
	m := p.EvaluateDeployment(DeploymentFacts{Environment: "production", Branch: "main", Time: day})
	if m.Remember != 12*time.Hour || m.Timeout != 20*time.Minute || m.Require.String() != "team acme/sre" {
		t.Errorf("prod match = remember %s timeout %s require %q", m.Remember, m.Timeout, m.Require)
	}
	if m := p.EvaluateDeployment(DeploymentFacts{Environment: "qa"}); m.Timeout != time.Hour || m.Require.String() != defaultRequirement().String() {
		t.Errorf("default match = timeout %s require %q", m.Timeout, m.Require)
	}
	if !p.UsesWorkflowChanged() || mustParse(t, "version: 1\nrules: []\n").UsesWorkflowChanged() {
		t.Error("UsesWorkflowChanged wrong")
	}
}

func TestEvaluateDeploymentWithoutList(t *testing.T) {
	t.Parallel()
	for _, p := range []*Policy{nil, Default(), mustParse(t, "version: 1\nrules:\n  - name: all\n    then: allow\n")} {
		m := p.EvaluateDeployment(DeploymentFacts{Environment: "production"})
		if m.Rule != DefaultRuleName || m.Decision != Require || m.Require == nil {
			t.Errorf("without deployments: = %+v, want the default requirement (command rules never apply to jobs)", m)
		}
	}
}

func TestParseDeploymentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"deployments: {}\n", "deployments: expected a list"},
		{"deployments:\n  - name: a\n    if: { command: 'rm *' }\n    then: deny\n", "deployments[0].if.command: deployment rules match a job, not a command"},
		{"deployments:\n  - name: a\n    if: { enviroment: prod }\n    then: deny\n", `did you mean "environment"`},
		{"deployments:\n  - name: a\n    if: { workflow_changed: yes please }\n    then: deny\n", "workflow_changed: expected true or false"},
		{"deployments:\n  - name: a\n    require: { team: acme/sre }\n    learn: { after: 2 }\n", "deployments[0].learn: learn applies to command rules only"},
		{"deployments:\n  - name: a\n    then: allow\n    remember: 1h\n", "deployments[0].remember: only applies to rules that require approval"},
		{"deployments:\n  - name: a\n    then: allow\n  - name: b\n    if: { environment: x }\n    then: allow\n", "unreachable: deployment rule \"a\""},
		{"deployments:\n  - name: a\n    then: allow\n  - name: a\n    if: { environment: x }\n    then: deny\n", "duplicate deployment rule name"},
		{"deployments:\n  - name: a\n    if: { outside_hours: 'Someday 9-5' }\n    require: { role: write }\n", "deployments[0].if.outside_hours"},
		{"deployments:\n  - if: { environment: x }\n    then: allow\n", "deployments[0].name: required"},
	}
	for _, tt := range tests {
		_, err := Parse("p.yml", []byte("version: 1\nrules: []\n"+tt.src))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: err = %v, want a *ParseError", tt.src, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %q", tt.src, err, tt.want)
		}
		for _, fe := range pe.Errors {
			if fe.Line == 0 {
				t.Errorf("%q: error without a line: %+v", tt.src, fe)
			}
		}
	}
	// A deny after a catch-all still applies, so it is not unreachable.
	if _, err := Parse("p.yml", []byte("version: 1\nrules: []\ndeployments:\n  - name: a\n    then: allow\n  - name: b\n    if: { actor: x }\n    then: deny\n")); err != nil {
		t.Errorf("deny after catch-all: %v", err)
	}
}
