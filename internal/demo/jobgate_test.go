package demo

import (
	"testing"

	"github.com/stepgate/stepgate/gate/policy"
)

// TestInteractiveJobWaitOutlastsTheRequest: a human reviewing a job-level
// gate has until the request expires (the App then answers GitHub itself),
// so the demo's deadline for GitHub's review must come after that.
func TestInteractiveJobWaitOutlastsTheRequest(t *testing.T) {
	p, err := policy.Parse(".github/stepgate.yml", []byte(policyYAML))
	if err != nil {
		t.Fatal(err)
	}
	for _, changed := range []bool{false, true} {
		m := p.EvaluateDeployment(policy.DeploymentFacts{Environment: "production", Branch: "refs/pull/7/merge", Actor: actor, WorkflowChanged: changed})
		if m.Timeout <= 0 || m.Timeout >= interactiveJobWait {
			t.Errorf("rule %s: request timeout %s, want below the demo's wait %s", m.Rule, m.Timeout, interactiveJobWait)
		}
	}
}
