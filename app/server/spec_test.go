package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
)

func TestPendingFromVotes(t *testing.T) {
	t.Parallel()
	dba := &policy.Requirement{Team: "acme/dba"}
	owner := &policy.Requirement{Codeowners: "db/"}
	two := &policy.Requirement{Role: policy.PermMaintain, Count: 2}
	alice := &policy.Requirement{Users: []string{"alice"}}
	allOf := &policy.Requirement{AllOf: []*policy.Requirement{dba, owner}}
	anyOf := &policy.Requirement{AnyOf: []*policy.Requirement{two, alice}}
	approve := func(leaves ...string) gate.Vote { return gate.Vote{Approve: true, Satisfied: leaves} }
	tests := []struct {
		name  string
		req   *policy.Requirement
		votes []gate.Vote
		want  []string
	}{
		{"all_of, nothing yet", allOf, nil, []string{"1 more: team acme/dba", "1 more: an owner of db/"}},
		{"all_of, team done", allOf, []gate.Vote{approve(dba.String())}, []string{"1 more: an owner of db/"}},
		{"any_of, one of two", anyOf, []gate.Vote{approve(two.String())}, []string{"1 more: " + two.String(), "1 more: alice"}},
		{"any_of met", anyOf, []gate.Vote{approve(alice.String())}, nil},
		{"rejections do not count", allOf, []gate.Vote{{Approve: false, Satisfied: []string{dba.String()}}}, []string{"1 more: team acme/dba", "1 more: an owner of db/"}},
	}
	for _, tt := range tests {
		got := (&gate.Spec{Require: tt.req}).Pending(tt.votes)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
