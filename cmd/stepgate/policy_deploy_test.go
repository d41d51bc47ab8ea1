package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const deployTestPolicy = `version: 1
rules:
  - name: everything
    then: allow
deployments:
  - name: changed
    if: { environment: production, workflow_changed: true }
    require: { all_of: [ { team: acme/sre }, { role: admin } ] }
  - name: prod
    if: { environment: production, branch: main }
    require: { team: acme/sre }
    remember: 8h
  - name: staging
    if: { environment: staging }
    then: allow
`

func TestPolicyTestDeployment(t *testing.T) {
	t.Parallel()
	file := writePolicy(t, deployTestPolicy)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"prod from main", []string{"--environment", "production", "--branch", "main"}, []string{"rule:            prod", "requires:        team acme/sre", "remember:"}},
		{"changed workflow", []string{"--environment", "production", "--branch", "main", "--workflow-changed"}, []string{"rule:            changed", "differs from the default branch"}},
		{"staging", []string{"--environment", "staging"}, []string{"rule:            staging", "decision:        allow"}},
		// The command rules never apply to a job: the catch-all allow does not.
		{"unknown environment", []string{"--environment", "qa"}, []string{"rule:            default", "decision:        require"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := runPolicyTest(append([]string{"test", file, "--deployment"}, tt.args...), nil)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, _ := runPolicyTest([]string{"test", file, "--deployment", "--environment", "production", "--branch", "refs/heads/main", "--json"}, nil)
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("--json: exit %d, %v: %s", code, err, out)
	}
	if got["rule"] != "prod" || got["decision"] != "require" || got["deployment"] != true || got["remember"] != "8h0m0s" || got["require"] == nil {
		t.Errorf("--json = %v", got)
	}
}

func TestPolicyTestDeploymentUsage(t *testing.T) {
	t.Parallel()
	file := writePolicy(t, deployTestPolicy)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"test", file, "--deployment"}, "--deployment needs --environment"},
		{[]string{"test", file, "--deployment", "--environment", "p", "--command", "ls"}, "tests a job, not a command"},
		{[]string{"test", file, "--workflow-changed", "--command", "ls"}, "--workflow-changed applies to --deployment"},
		{[]string{"test", "--deployment", "--environment", "p"}, "exactly one policy file"},
	} {
		if code, _, stderr := runPolicyTest(tt.args, nil); code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
