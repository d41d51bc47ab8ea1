package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPendingFromVotes(t *testing.T) {
	t.Parallel()
	dba := &Requirement{Team: "acme/dba"}
	owner := &Requirement{Codeowners: "db/"}
	two := &Requirement{Role: PermMaintain, Count: 2}
	alice := &Requirement{Users: []string{"alice"}}
	allOf := &Requirement{AllOf: []*Requirement{dba, owner}}
	anyOf := &Requirement{AnyOf: []*Requirement{two, alice}}
	tests := []struct {
		name      string
		req       *Requirement
		satisfied [][]string
		want      []string
	}{
		{"nil requirement", nil, nil, nil},
		{"all_of, nothing yet", allOf, nil, []string{"1 more: team acme/dba", "1 more: an owner of db/"}},
		{"all_of, team done", allOf, [][]string{{dba.String()}}, []string{"1 more: an owner of db/"}},
		{"any_of, one of two", anyOf, [][]string{{two.String()}}, []string{"1 more: " + two.String(), "1 more: alice"}},
		{"any_of met", anyOf, [][]string{{alice.String()}}, nil},
		{"two votes for a count of two", two, [][]string{{two.String()}, {two.String()}}, nil},
		{"one vote toward two leaves", allOf, [][]string{{dba.String(), owner.String()}}, nil},
	}
	for _, tt := range tests {
		got := PendingFromVotes(tt.req, tt.satisfied)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestDedupeFold(t *testing.T) {
	t.Parallel()
	got := DedupeFold([]string{"Alice", "bob", "alice", "BOB", "carol"})
	if diff := cmp.Diff([]string{"Alice", "bob", "carol"}, got); diff != "" {
		t.Errorf("DedupeFold (-want +got):\n%s", diff)
	}
}
