package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// `policy test --org-policy` resolves files in the App's order and says
// which one decided.
func TestPolicyTestOrgPolicy(t *testing.T) {
	t.Parallel()
	org := writePolicy(t, "version: 1\nrules:\n  - name: org-plan\n    if: { command: [\"make plan\"] }\n    then: allow\n")
	own := writePolicy(t, "version: 1\nrules:\n  - name: own\n    require: { users: [carol] }\n")
	missing := filepath.Join(t.TempDir(), "stepgate.yml")
	tests := []struct {
		name, file, org      string
		wantRule, wantPolicy string
	}{
		{"own file decides", own, org, "own", own},
		{"no own file: the org's decides", missing, org, "org-plan", org + " (org-wide default: " + missing + " does not exist)"},
		{"neither: the built-in default", missing, missing + ".org", "default", "built-in default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPolicyTest([]string{"test", tt.file, "--org-policy", tt.org, "--command", "make plan", "--json"}, nil)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got struct {
				Rule       string `json:"rule"`
				PolicyFile string `json:"policy_file"`
			}
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatal(err)
			}
			if got.Rule != tt.wantRule || !strings.HasPrefix(got.PolicyFile, tt.wantPolicy) {
				t.Errorf("rule %q from %q, want %q from %q", got.Rule, got.PolicyFile, tt.wantRule, tt.wantPolicy)
			}
			_, text, _ := runPolicyTest([]string{"test", tt.file, "--org-policy", tt.org, "--command", "make plan"}, nil)
			if !strings.HasPrefix(text, "policy:        "+tt.wantPolicy) {
				t.Errorf("text output does not start with the deciding file:\n%s", text)
			}
		})
	}
	// Without --org-policy a missing file is still an error, not the default.
	if code, _, stderr := runPolicyTest([]string{"test", missing, "--command", "make plan"}, nil); code != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing file without --org-policy: exit %d, %q", code, stderr)
	}
}
