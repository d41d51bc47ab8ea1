package policy

import (
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate/risk"
)

// stricterMatches are the matches the Stricter tests combine: an allow, a
// deny, and two requirements that differ in every setting they bring.
func stricterMatches() (allow, deny, dba, write Match) {
	allow = Match{Rule: "read-only", Decision: Allow, Timeout: time.Hour}
	deny = Match{Rule: "never", Decision: Deny, Timeout: time.Hour}
	dba = Match{Rule: "prod-db", Decision: Require, Require: &Requirement{Team: "acme/dba", Count: 1},
		Remember: 24 * time.Hour, Timeout: 2 * time.Hour, SelfApproval: true,
		Learn: &Learn{After: 3, MaxRisk: risk.LevelLow, TTL: 30 * 24 * time.Hour}}
	write = Match{Rule: "default", Decision: Require, Require: &Requirement{Role: PermWrite, Count: 2},
		Remember: time.Hour, Timeout: 30 * time.Minute,
		Learn: &Learn{After: 5, MaxRisk: risk.LevelMedium, TTL: 7 * 24 * time.Hour}}
	return allow, deny, dba, write
}

func TestStricter(t *testing.T) {
	allow, deny, dba, write := stricterMatches()
	for _, tc := range []struct {
		name string
		a, b Match
		want Decision
		rule string
		req  string
	}{
		{"deny beats allow", allow, deny, Deny, "never", ""},
		{"deny beats allow (other order)", deny, allow, Deny, "never", ""},
		{"deny beats require", dba, deny, Deny, "never", ""},
		{"require beats allow", allow, dba, Require, "prod-db", dba.Require.String()},
		{"require beats allow (other order)", dba, allow, Require, "prod-db", dba.Require.String()},
		{"allow and allow", allow, allow, Allow, "read-only", ""},
		{"two requirements: all of both", dba, write, Require, "prod-db+default",
			(&Requirement{AllOf: []*Requirement{dba.Require, write.Require}}).String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Stricter(tc.a, tc.b)
			if got.Decision != tc.want || got.Rule != tc.rule {
				t.Fatalf("Stricter = %s by %q, want %s by %q", got.Decision, got.Rule, tc.want, tc.rule)
			}
			if tc.req == "" && got.Require != nil && got.Decision != Require {
				t.Fatalf("a %s carries a requirement: %s", got.Decision, got.Require)
			}
			if tc.req != "" && (got.Require == nil || got.Require.String() != tc.req) {
				t.Fatalf("requirement = %v, want %s", got.Require, tc.req)
			}
		})
	}
}

// TestStricterCombinedSettings: what a combined requirement brings along.
func TestStricterCombinedSettings(t *testing.T) {
	_, _, dba, write := stricterMatches()
	both := Stricter(dba, write)
	if err := both.Require.Validate(); err != nil {
		t.Fatalf("combined requirement invalid: %v", err)
	}
	// Everything a requirement brings along takes the stricter side too.
	if both.Timeout != 30*time.Minute || both.Remember != time.Hour || both.SelfApproval {
		t.Fatalf("timeout %v remember %v self-approval %v: want the shorter, the shorter, false", both.Timeout, both.Remember, both.SelfApproval)
	}
	if both.Learn == nil || both.Learn.After != 5 || both.Learn.MaxRisk != risk.LevelLow || both.Learn.TTL != 7*24*time.Hour {
		t.Fatalf("learn = %+v, want after 5, max_risk low, ttl 7d", both.Learn)
	}
	noLearn := write
	noLearn.Learn, noLearn.Remember = nil, 0
	if m := Stricter(dba, noLearn); m.Learn != nil || m.Remember != 0 {
		t.Fatalf("one side that neither learns nor remembers must switch both off: %+v", m)
	}
	// The same rule on both sides is not doubled.
	if m := Stricter(dba, dba); m.Rule != "prod-db" || m.Require.String() != dba.Require.String() {
		t.Fatalf("Stricter(x, x) = %q %s, want x", m.Rule, m.Require)
	}
	// all_of requirements are flattened, so the text stays readable.
	nested := Stricter(Match{Rule: "a", Decision: Require, Require: &Requirement{AllOf: []*Requirement{{Team: "acme/x"}, {Team: "acme/y"}}}}, write)
	if len(nested.Require.AllOf) != 3 {
		t.Fatalf("want a flat all_of of three, got %s", nested.Require)
	}
	// Inputs are not modified.
	if dba.Require.Team != "acme/dba" || len(write.Require.AllOf) != 0 {
		t.Fatal("Stricter modified its inputs")
	}
}
