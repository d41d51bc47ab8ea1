package policy

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate/risk"
)

// The prefilter may only skip rules that cannot match: evaluating with and
// without it must always agree.
func TestPrefilterAgreesWithFullCheck(t *testing.T) {
	t.Parallel()
	policies := []*Policy{policyWithRules(t, 200), Default()}
	files, _ := filepath.Glob("testdata/*.yml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(f, data)
		if err != nil {
			t.Fatal(err)
		}
		policies = append(policies, p)
	}
	commands := []string{"", "kubectl get pods", "terraform plan", "rm -rf /x", "./deploy.sh a", "tool4 get x",
		"tool8 plan", "x deploy-5 y", "./scripts/migrate.sh --env 'prod'", "@x", "a;b"}
	envs := []string{"", "production", "Production", "prod", "staging", "env-6", "prod-eu", "@"}
	branches := []string{"", "main", "refs/heads/main", "release/3/x", "release/1.2"}
	actors := []string{"", "alice", "bot-3x", "dependabot[bot]", "renovate-bot"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	for i := 0; i < 5000; i++ {
		f := Facts{
			Command: pick(commands), Environment: pick(envs), Branch: pick(branches), Actor: pick(actors),
			Risk: risk.Level(rng.IntN(5)), Time: time.Unix(int64(rng.IntN(1<<30)), 0),
		}
		for j, p := range policies {
			unfiltered := *p
			unfiltered.index = nil
			if got, want := p.Evaluate(f), unfiltered.Evaluate(f); got.Rule != want.Rule {
				t.Fatalf("policy %d, facts %+v: prefiltered rule %q, full check %q", j, f, got.Rule, want.Rule)
			}
		}
	}
}

func TestHandBuiltPolicy(t *testing.T) {
	t.Parallel()
	p := &Policy{Rules: []*Rule{{Name: "all", Then: Deny}}}
	if m := p.Evaluate(Facts{Command: "ls"}); m.Rule != "all" || m.Decision != Deny || m.Timeout != DefaultTimeout {
		t.Errorf("Evaluate = %+v", m)
	}
	p = &Policy{Rules: []*Rule{{Name: "half-built", Then: Require}}}
	if m := p.Evaluate(Facts{}); m.Decision != Require || m.Require.String() != "a user with write or higher" {
		t.Errorf("rule without requirement: %+v", m)
	}
	p = &Policy{Rules: []*Rule{{Name: "no-decision"}}}
	if m := p.Evaluate(Facts{}); m.Decision != Require || m.Require == nil {
		t.Errorf("rule without decision: %+v", m)
	}
	var nilPolicy *Policy
	if m := nilPolicy.Evaluate(Facts{Command: "ls"}); m.Rule != DefaultRuleName || m.Decision != Require {
		t.Errorf("nil policy Evaluate = %+v", m)
	}
}

func BenchmarkCheck(b *testing.B) {
	req := &Requirement{AllOf: []*Requirement{{Team: "acme/dba", Count: 1}, {Role: PermMaintain, Count: 2}, {Codeowners: "db/", Count: 1}}}
	var votes []Vote
	for i := 0; i < 10; i++ {
		votes = append(votes, Vote{Approver: Approver{Login: fmt.Sprint("user", i), Permission: PermMaintain, Teams: []string{"acme/x", "acme/dba"}}, Approve: true})
	}
	b.ReportAllocs()
	for b.Loop() {
		Check(req, votes, false)
	}
}
