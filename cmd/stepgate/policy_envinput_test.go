package main

import (
	"strings"
	"testing"
)

// policy test mirrors the App: --environment is the job's (the token's
// claim) and decides; --environment-input alone can only tighten.
func TestPolicyTestEnvironmentInput(t *testing.T) {
	t.Parallel()
	file := writePolicy(t, "version: 1\nrules:\n  - name: dev-anything\n    if: { environment: [dev] }\n    then: allow\n")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--environment", "dev"}, 0, `"decision": "allow"`},
		{[]string{"--environment-input", "dev"}, 0, `"decision": "require"`},
		{[]string{"--environment", "dev", "--environment-input", "dev"}, 0, `"decision": "allow"`},
		{[]string{"--environment", "dev", "--environment-input", "prod"}, 2, "refuses"},
	} {
		args := append([]string{"test", file, "--command", "./deploy.sh", "--json"}, tc.args...)
		code, out, errOut := runPolicyTest(args, nil)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%v: exit %d, %s%s; want exit %d with %q", tc.args, code, out, errOut, tc.code, tc.want)
		}
	}
}
