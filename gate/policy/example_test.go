package policy_test

import (
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/gate/policy"
	"github.com/stepgate/stepgate/gate/risk"
)

func ExampleParse() {
	src := `
version: 1
rules:
  - name: read-only
    if: { command: ["kubectl get *"] }
    then: allow
  - name: prod-db
    if: { environment: [production], risk: high }
    require:
      all_of:
        - team: acme/dba
        - codeowners: db/migrations/
    remember: 24h
`
	p, err := policy.Parse(".github/stepgate.yml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range []policy.Facts{
		{Command: "kubectl   get 'pods'"},
		{Command: "kubectl get pods; kubectl delete ns prod"},
		{Command: "psql -f migrate.sql", Environment: "production", Risk: risk.LevelHigh},
	} {
		m := p.Evaluate(f)
		fmt.Printf("%s: %s %s\n", m.Rule, m.Decision, m.Require)
	}

	_, err = policy.Parse(".github/stepgate.yml", []byte(strings.Replace(src, "team:", "teem:", 1)))
	fmt.Println(err)
	// Output:
	// read-only: allow nothing
	// default: require a user with write or higher
	// prod-db: require all of: (team acme/dba) and (an owner of db/migrations/)
	// .github/stepgate.yml:11: rules[1].require.all_of[0].teem: unknown field (did you mean "team"?)
	// .github/stepgate.yml:11: rules[1].require.all_of[0]: empty requirement: want one of users, team, role, codeowners, all_of, any_of
}

func ExampleCheck() {
	req := &policy.Requirement{AllOf: []*policy.Requirement{
		{Team: "acme/dba", Count: 1},
		{Role: policy.PermMaintain, Count: 2},
	}}
	votes := []policy.Vote{
		{Approver: policy.Approver{Login: "bob", Permission: policy.PermMaintain, Teams: []string{"acme/dba"}}, Approve: true},
		{Approver: policy.Approver{Login: "erin", Permission: policy.PermAdmin, RunActor: true}, Approve: true},
		{Approver: policy.Approver{Login: "ci[bot]", Permission: policy.PermAdmin, Bot: true}, Approve: false},
	}
	p := policy.Check(req, votes, false)
	fmt.Println("met:", p.Met)
	fmt.Println("pending:", p.Pending)
	fmt.Println("bob counted for:", p.Counted["bob"])
	fmt.Println("erin ignored:", p.Ignored["erin"])
	fmt.Println("ci[bot] ignored:", p.Ignored["ci[bot]"])
	// Output:
	// met: false
	// pending: [1 more from users with maintain or higher]
	// bob counted for: [team acme/dba 2 approvals from users with maintain or higher]
	// erin ignored: the run's actor cannot approve
	// ci[bot] ignored: bots never count
}

func ExampleTighten() {
	base := policy.Default().Evaluate(policy.Facts{Command: "make deploy"}).Require
	req, err := policy.Tighten(base, policy.SplitApprovers("team:acme/sre, user:alice"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req)
	// Output:
	// all of: (a user with write or higher) and (team acme/sre) and (alice)
}
