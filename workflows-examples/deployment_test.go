package examples

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate/policy"
)

// TestDeploymentRules pins the job-level table of
// deployment-protection/README.md.
func TestDeploymentRules(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("deployment-protection", ".github", "stepgate.yml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("stepgate.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	night := time.Date(2026, 3, 7, 2, 0, 0, 0, berlin) // a Saturday
	tests := []struct {
		name string
		f    policy.DeploymentFacts
		rule string
		dec  policy.Decision
	}{
		{"main, working hours", policy.DeploymentFacts{Environment: "production", Branch: "refs/heads/main", Actor: "alice", Time: daytime}, "prod", policy.Require},
		{"main at night", policy.DeploymentFacts{Environment: "production", Branch: "main", Actor: "alice", Time: night}, "prod-after-hours", policy.Require},
		{"workflow changed", policy.DeploymentFacts{Environment: "production", Branch: "main", Actor: "alice", Time: daytime, WorkflowChanged: true}, "workflow-changed", policy.Require},
		{"another branch", policy.DeploymentFacts{Environment: "production", Branch: "hotfix", Actor: "alice", Time: daytime}, "prod-other-refs", policy.Require},
		{"a pull request run", policy.DeploymentFacts{Environment: "production", Branch: "refs/pull/7/merge", Actor: "alice", Time: daytime}, "prod-other-refs", policy.Require},
		{"a bot", policy.DeploymentFacts{Environment: "production", Branch: "main", Actor: "renovate[bot]", Time: daytime}, "no-bots", policy.Deny},
		{"a bot with a changed workflow", policy.DeploymentFacts{Environment: "production", Branch: "main", Actor: "renovate[bot]", Time: daytime, WorkflowChanged: true}, "no-bots", policy.Deny},
		{"staging", policy.DeploymentFacts{Environment: "staging", Actor: "alice", Time: daytime}, "staging", policy.Allow},
	}
	for _, tt := range tests {
		m := p.EvaluateDeployment(tt.f)
		if m.Rule != tt.rule || m.Decision != tt.dec {
			t.Errorf("%s: rule %s/%s, want %s/%s", tt.name, m.Rule, m.Decision, tt.rule, tt.dec)
		}
	}
	if m := p.EvaluateDeployment(policy.DeploymentFacts{Environment: "production", Branch: "main", Time: daytime}); m.Remember != 4*time.Hour {
		t.Errorf("prod remember = %s, want 4h", m.Remember)
	}
}
