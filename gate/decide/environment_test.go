package decide_test

import (
	"strings"
	"testing"

	"github.com/stepgate/stepgate/gate/decide"
	"github.com/stepgate/stepgate/gate/policy"
)

const envPolicy = `version: 1
rules:
  - name: dev-anything
    if: { environment: [dev] }
    then: allow
  - name: prod-deny-drop
    if: { environment: [production], command: ["./drop.sh*"] }
    then: deny
  - name: prod
    if: { environment: [production] }
    require: { team: acme/sre }
  - name: no-env-admin
    if: { command: ["./admin.sh*"] }
    require: { role: admin }
`

// The environment input only tightens when the job declares no environment
// (no claim): the stricter of the outcomes with and without it applies. With
// a claim, the claim decides.
func TestEnvironmentInputOnlyTightens(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse(".github/stepgate.yml", []byte(envPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		in         decide.Input
		want       policy.Decision
		rule, reqs string
	}{
		{"input dev cannot allow", decide.Input{Command: "./deploy.sh", EnvironmentInput: "dev"}, policy.Require, "default", "write"},
		{"claim dev allows", decide.Input{Command: "./deploy.sh", Environment: "dev"}, policy.Allow, "dev-anything", ""},
		{"input production denies", decide.Input{Command: "./drop.sh", EnvironmentInput: "production"}, policy.Deny, "prod-deny-drop", ""},
		{"input production adds its team", decide.Input{Command: "./admin.sh", EnvironmentInput: "production"}, policy.Require, "prod+no-env-admin", "acme/sre"},
		{"claim production: its rule alone", decide.Input{Command: "./admin.sh", Environment: "production"}, policy.Require, "prod", "acme/sre"},
		{"claim wins over the input", decide.Input{Command: "./deploy.sh", Environment: "dev", EnvironmentInput: "production"}, policy.Allow, "dev-anything", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := decide.Evaluate(p, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Decision != tc.want || out.Match.Rule != tc.rule {
				t.Fatalf("= %s by %q, want %s by %q", out.Decision, out.Match.Rule, tc.want, tc.rule)
			}
			if tc.reqs != "" && (out.Require == nil || !strings.Contains(out.Require.String(), tc.reqs)) {
				t.Errorf("requirement %v lacks %q", out.Require, tc.reqs)
			}
		})
	}
	out, _ := decide.Evaluate(p, decide.Input{Command: "./admin.sh", EnvironmentInput: "production"})
	if s := out.Require.String(); !strings.Contains(s, "acme/sre") || !strings.Contains(s, "admin") {
		t.Errorf("with and without the input: %s, want all of acme/sre and admin", s)
	}
	if out.Environment != "production" {
		t.Errorf("outcome environment %q, want the input's production", out.Environment)
	}
}
