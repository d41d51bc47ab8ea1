package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/gate/risk"
)

const testPolicy = `version: 1
defaults: { timeout: 30m, learn: { after: 3, max_risk: low, ttl: 30d } }
rules:
  - name: read-only
    if: { command: ["kubectl get *", "terraform plan*"] }
    then: allow
  - name: never
    if: { command: ["rm -rf /*"] }
    then: deny
  - name: prod-db
    if: { environment: [production], risk: high }
    require:
      all_of:
        - team: acme/dba
        - codeowners: db/migrations/
    remember: 24h
    timeout: 1h
  - name: night
    if: { outside_hours: "Mon-Fri 09:00-18:00 Europe/Berlin", branch: main }
    require: { role: admin }
`

func writePolicy(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stepgate.yml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runPolicyTest(args []string, assess func(string) risk.Level) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = runPolicy(context.Background(), args, &out, &errOut, assess)
	return code, out.String(), errOut.String()
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	good := writePolicy(t, testPolicy)
	bad := writePolicy(t, "version: 1\nrules:\n  - name: a\n    require:\n      all_of:\n        - teem: acme/dba\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"ok", []string{"check", good}, 0, good + ": ok (4 rules)\n", ""},
		{"invalid", []string{"check", bad}, 1, "", bad + `:6: rules[0].require.all_of[0].teem: unknown field (did you mean "team"?)`},
		{"missing file", []string{"check", filepath.Join(t.TempDir(), "nope.yml")}, 1, "", "no such file"},
		{"one bad of two", []string{"check", good, bad}, 1, good + ": ok (4 rules)\n", "teem"},
		{"no file", []string{"check"}, 2, "", "name at least one policy file"},
		{"no subcommand", nil, 2, "", "Usage:"},
		{"unknown subcommand", []string{"lint"}, 2, "", `unknown subcommand "lint"`},
		{"help", []string{"--help"}, 0, "Usage:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPolicyTest(tt.args, nil)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) || (tt.wantStdout == "" && stdout != "") {
				t.Errorf("stdout %q, want %q", stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) || (tt.wantStderr == "" && stderr != "") {
				t.Errorf("stderr %q, want it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestPolicyTestJSON(t *testing.T) {
	t.Parallel()
	for _, tt := range policyJSONCases(writePolicy(t, testPolicy)) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPolicyTest(tt.args, tt.assess)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// policyJSONCase is a `stepgate policy test --json` run and its output.
type policyJSONCase struct {
	name   string
	args   []string
	assess func(string) risk.Level
	want   map[string]any
}

// policyJSONCases are the --json cases against testPolicy in file.
func policyJSONCases(file string) []policyJSONCase {
	high := func(string) risk.Level { return risk.LevelHigh }
	return []policyJSONCase{
		{
			name: "allow",
			args: []string{"test", file, "--command", "kubectl   get 'pods'", "--json"},
			want: map[string]any{"rule": "read-only", "decision": "allow", "require": nil, "remember": "", "timeout": "30m0s",
				"self_approval": false, "learn": nil, "risk": "none", "command": "kubectl get pods",
				"commands": []any{"kubectl get pods"}, "reason": "every command of the tree (1) matches one of its patterns"},
		},
		{
			name: "deny, flags before file",
			args: []string{"test", "--json", "--command=rm -rf /etc", file},
			want: map[string]any{"rule": "never", "decision": "deny", "require": nil, "remember": "", "timeout": "30m0s",
				"self_approval": false, "learn": nil, "risk": "critical", "command": "rm -rf /etc",
				"commands": []any{"rm -rf /etc"}, "decided_by": "rm -rf /etc", "pattern": "rm -rf /*",
				"reason": "`rm -rf /etc` matches the deny pattern `rm -rf /*`"},
		},
		{
			name:   "require with assessed risk",
			args:   []string{"test", file, "--command", "psql -f drop.sql", "--environment", "production", "--json"},
			assess: high,
			want: map[string]any{
				"rule": "prod-db", "decision": "require",
				"require":     map[string]any{"all_of": []any{map[string]any{"team": "acme/dba", "count": 1.0}, map[string]any{"codeowners": "db/migrations/", "count": 1.0}}},
				"description": "all of: (team acme/dba) and (an owner of db/migrations/)",
				"remember":    "24h0m0s", "timeout": "1h0m0s", "self_approval": false,
				"learn": map[string]any{"after": 3.0, "max_risk": "low", "ttl": "720h0m0s"},
				"risk":  "high", "command": "psql -f drop.sql",
				"commands": []any{"psql -f drop.sql"}, "reason": "its conditions hold (it has no command patterns)",
			},
		},
		{
			name:   "--risk overrides the assessment",
			args:   []string{"test", file, "--command", "psql", "--environment", "production", "--risk", "low", "--json", "--time", "2026-03-30T10:00:00Z"},
			assess: high,
			want: map[string]any{"rule": "default", "decision": "require", "require": map[string]any{"role": "write", "count": 1.0},
				"description": "a user with write or higher", "remember": "", "timeout": "30m0s", "self_approval": false,
				"learn": map[string]any{"after": 3.0, "max_risk": "low", "ttl": "720h0m0s"}, "risk": "low", "command": "psql",
				"commands": []any{"psql"}, "reason": "no rule matched"},
		},
		{
			name: "outside hours at 2 am Berlin",
			args: []string{"test", file, "--command", "deploy", "--branch", "refs/heads/main", "--time", "2026-03-31T02:00:00+02:00", "--json"},
			want: map[string]any{"rule": "night", "decision": "require", "require": map[string]any{"role": "admin", "count": 1.0},
				"description": "a user with admin or higher", "remember": "", "timeout": "30m0s", "self_approval": false,
				"learn": map[string]any{"after": 3.0, "max_risk": "low", "ttl": "720h0m0s"}, "risk": "none", "command": "deploy",
				"commands": []any{"deploy"}, "reason": "its conditions hold (it has no command patterns)"},
		},
	}
}

func TestPolicyTestText(t *testing.T) {
	t.Parallel()
	file := writePolicy(t, testPolicy)
	code, stdout, stderr := runPolicyTest([]string{"test", file, "--command", "./migrate.sh", "--environment", "production"},
		func(string) risk.Level { return risk.LevelCritical })
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"rule:          prod-db\n",
		"decision:      require\n",
		"requires:      all of: (team acme/dba) and (an owner of db/migrations/)\n",
		"risk:          critical (assessed)\n",
		"remember:      reviewers may approve and remember for 24h0m0s\n",
		"timeout:       1h0m0s\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestPolicyTestUsage(t *testing.T) {
	t.Parallel()
	file := writePolicy(t, testPolicy)
	bad := writePolicy(t, "version: 2\nrules: []\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no command", []string{"test", file}, 2, "--command is required"},
		{"no file", []string{"test", "--command", "ls"}, 2, "exactly one policy file"},
		{"two files", []string{"test", file, file, "--command", "ls"}, 2, "exactly one policy file"},
		{"bad risk", []string{"test", file, "--command", "ls", "--risk", "extreme"}, 2, "--risk"},
		{"bad time", []string{"test", file, "--command", "ls", "--time", "tomorrow"}, 2, "RFC 3339"},
		{"unknown flag", []string{"test", file, "--comand", "ls"}, 2, "flag provided but not defined"},
		{"invalid policy", []string{"test", bad, "--command", "ls"}, 1, "unsupported version 2"},
		{"help explains flags", []string{"test", "-h"}, 0, "-time TIME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runPolicyTest(tt.args, nil)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
}

// Issue #10: policy test decides the text the App decides (redacted inside
// literal words only), so code behind a secret-looking prefix stays visible
// and is decided.
func TestPolicyTestSeesCodeBehindSecrets(t *testing.T) {
	t.Parallel()
	file := writePolicy(t, "version: 1\nrules:\n  - name: echo-ok\n    if: { command: [\"echo *\"] }\n    then: allow\n")
	for _, cmd := range []string{
		"echo -----BEGIN RSA PRIVATE KEY----- ; rm -rf /srv/data",
		"echo --token=xK9fQ2mZpL7vR4tW8yB3nC6d; rm -rf /srv/data",
		"echo password=hunter2hunter2 && rm -rf /srv/data",
	} {
		code, stdout, stderr := runPolicyTest([]string{"test", file, "--command", cmd, "--json"}, nil)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", cmd, code, stderr)
		}
		var got struct{ Decision, Command string }
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatal(err)
		}
		if got.Decision == "allow" || !strings.Contains(got.Command, "rm -rf /srv/data") {
			t.Errorf("%q: decision %s on %q, want the hidden rm decided (not allowed by echo-ok)", cmd, got.Decision, got.Command)
		}
	}
}

// TestPolicyTestShowsTheDecidingCommand: policy test names the command of
// the tree that decided, the pattern, and the rules passed over.
func TestPolicyTestShowsTheDecidingCommand(t *testing.T) {
	t.Parallel()
	file := writePolicy(t, testPolicy)
	code, stdout, stderr := runPolicyTest([]string{"test", file, "--command", `kubectl get pods; sudo rm -fr "$DIR"`, "--time", "2026-03-30T10:00:00Z"}, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"1. kubectl get pods", "3. rm -fr $DIR   via sudo", "rule:          never", "decision:      deny",
		"decided by:    rm -fr $DIR", "matches the deny pattern `rm -rf /*` (a word decided at run time may be anything there)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runPolicyTest([]string{"test", file, "--command", "kubectl get pods --kubeconfig /tmp/evil.yaml", "--time", "2026-03-30T10:00:00Z"}, nil)
	if code != 0 || !strings.Contains(stdout, `passed over:   rule "read-only" (line 4) passed over: allow:`) {
		t.Errorf("exit %d, output lacks why read-only was passed over:\n%s", code, stdout)
	}
}
