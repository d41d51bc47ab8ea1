package policy

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/gate/risk"
)

func examplePolicy(t *testing.T) *Policy {
	t.Helper()
	data, err := os.ReadFile("testdata/example.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("example.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvaluateExample(t *testing.T) {
	t.Parallel()
	p := examplePolicy(t)
	tests := []struct {
		name  string
		facts Facts
		rule  string
		dec   Decision
	}{
		{"read-only", Facts{Command: "kubectl get pods"}, "read-only", Allow},
		{"normalised", Facts{Command: "kubectl   get 'pods'"}, "read-only", Allow},
		{"second glob", Facts{Command: "terraform plan -out plan.bin"}, "read-only", Allow},
		{"chained is not read-only", Facts{Command: "kubectl get pods; kubectl delete ns prod"}, "default", Require},
		{"deny", Facts{Command: "rm -rf /var"}, "never", Deny},
		{"deny quoted", Facts{Command: "rm -rf '/var'"}, "never", Deny},
		{"prod-db", Facts{Command: "./migrate.sh", Environment: "production", Risk: risk.LevelHigh}, "prod-db", Require},
		{"prod-db env case", Facts{Command: "./migrate.sh", Environment: "Production", Risk: risk.LevelCritical}, "prod-db", Require},
		{"risk below", Facts{Command: "./migrate.sh", Environment: "production", Risk: risk.LevelMedium}, "default", Require},
		{"other env", Facts{Command: "./migrate.sh", Environment: "staging", Risk: risk.LevelHigh}, "default", Require},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := p.Evaluate(tt.facts)
			if m.Rule != tt.rule || m.Decision != tt.dec {
				t.Errorf("Evaluate = %s/%s, want %s/%s", m.Rule, m.Decision, tt.rule, tt.dec)
			}
			if (m.Require != nil) != (tt.dec == Require) {
				t.Errorf("Require = %v with decision %s", m.Require, m.Decision)
			}
		})
	}
}

func TestEvaluateMatchFields(t *testing.T) {
	t.Parallel()
	p := examplePolicy(t)
	got := p.Evaluate(Facts{Command: "psql", Environment: "production", Risk: risk.LevelHigh})
	want := Match{
		Rule:     "prod-db",
		Decision: Require,
		Require: &Requirement{AllOf: []*Requirement{
			{Team: "acme/dba", Count: 1},
			{Codeowners: "db/migrations/", Count: 1},
		}},
		Remember: 24 * time.Hour,
		Learn:    &Learn{After: 3, MaxRisk: risk.LevelLow, TTL: 30 * 24 * time.Hour},
		Timeout:  time.Hour,
		Reason:   "its conditions hold (it has no command patterns)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	allow := p.Evaluate(Facts{Command: "kubectl get ns"})
	if diff := cmp.Diff(Match{Rule: "read-only", Decision: Allow, Timeout: 30 * time.Minute, Reason: "every command of the tree (1) matches one of its patterns"}, allow); diff != "" {
		t.Errorf("allow (-want +got):\n%s", diff)
	}
}

func TestEvaluateKeys(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `
version: 1
rules:
  - name: first
    if: {command: "deploy *"}
    then: allow
  - name: shadowed
    if: {command: "deploy prod"}
    then: deny
  - name: branch
    if: {branch: "release/*"}
    then: allow
  - name: actor
    if: {actor: ["dependabot*"]}
    then: deny
  - name: env-and-risk
    if: {environment: [prod, "prod-*"], risk: medium}
    then: deny
`)
	tests := []struct {
		name  string
		facts Facts
		want  string
	}{
		{"deny wins wherever it stands", Facts{Command: "deploy prod"}, "shadowed"},
		{"first match wins", Facts{Command: "deploy staging"}, "first"},
		{"branch short", Facts{Command: "x", Branch: "release/1.2"}, "branch"},
		{"branch ref", Facts{Command: "x", Branch: "refs/heads/release/1.2"}, "branch"},
		{"branch other", Facts{Command: "x", Branch: "main"}, "default"},
		{"actor glob, case", Facts{Command: "x", Actor: "Dependabot[bot]"}, "actor"},
		{"env glob + risk", Facts{Command: "x", Environment: "prod-eu", Risk: risk.LevelMedium}, "env-and-risk"},
		{"env but low risk", Facts{Command: "x", Environment: "prod", Risk: risk.LevelLow}, "default"},
		{"no facts", Facts{}, "default"},
	}
	for _, tt := range tests {
		if got := p.Evaluate(tt.facts).Rule; got != tt.want {
			t.Errorf("%s: rule %q, want %q", tt.name, got, tt.want)
		}
	}
	def := p.Evaluate(Facts{})
	if def.Require.String() != "a user with write or higher" || def.Decision != Require {
		t.Errorf("fallback = %+v", def)
	}
}

// Europe/Berlin switched to summer time on 2026-03-29: the same UTC instant
// is outside hours one week and inside the next.
func TestEvaluateOutsideHours(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `
version: 1
rules:
  - name: after-hours
    if: {outside_hours: "Mon-Fri 09:00-18:00 Europe/Berlin"}
    require: {role: maintain, count: 2}
  - name: night-shift
    if: {outside_hours: ["Sat-Sun 00:00-24:00", "Mon-Fri 22:00-06:00"]}
    then: deny
`)
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		when string
		want string
	}{
		// night-shift is a deny: it wins wherever it stands, whenever the
		// request is outside both of its windows.
		{"2026-03-23T07:30:00Z", "night-shift"}, // Mon 08:30 CET: outside Berlin hours too, but deny wins
		{"2026-03-30T07:30:00Z", "night-shift"}, // Mon 09:30 CEST: inside Berlin hours, outside the night window
		{"2026-03-30T16:30:00Z", "night-shift"}, // Mon 18:30 CEST
		{"2026-03-30T15:59:00Z", "night-shift"}, // Mon 17:59 CEST
		{"2026-03-31T01:00:00Z", "after-hours"}, // Tue 03:00 CEST: in the night window (Mon 22:00-Tue 06:00), outside Berlin hours
		{"2026-03-28T12:00:00Z", "after-hours"}, // Saturday: in the weekend window
	}
	for _, tt := range tests {
		if got := p.Evaluate(Facts{Command: "x", Time: utc(tt.when)}).Rule; got != tt.want {
			t.Errorf("at %s: rule %q, want %q", tt.when, got, tt.want)
		}
	}
}

func TestWindowContains(t *testing.T) {
	t.Parallel()
	w, err := parseWindow("Mon-Fri 22:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		when string
		want bool
	}{
		{"2026-03-30T21:59:00Z", false}, // Mon
		{"2026-03-30T22:00:00Z", true},  // Mon night
		{"2026-03-31T05:59:00Z", true},  // Tue early morning, from Mon
		{"2026-03-31T06:00:00Z", false},
		{"2026-03-28T23:00:00Z", false}, // Sat night
		{"2026-03-28T03:00:00Z", true},  // Sat early morning, from Fri
		{"2026-03-30T03:00:00Z", false}, // Mon early morning, from Sun
	}
	for _, tt := range tests {
		tm, _ := time.Parse(time.RFC3339, tt.when)
		if got := w.contains(tm); got != tt.want {
			t.Errorf("contains(%s) = %v, want %v", tt.when, got, tt.want)
		}
	}
}

func TestDefaultPolicy(t *testing.T) {
	t.Parallel()
	m := Default().Evaluate(Facts{Command: "anything"})
	want := Match{Rule: "default", Decision: Require, Require: &Requirement{Role: PermWrite, Count: 1}, Timeout: 30 * time.Minute,
		Reason: "its conditions hold (it has no command patterns)"}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
