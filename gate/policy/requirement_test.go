package policy

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRequirementString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		req  *Requirement
		want string
	}{
		{&Requirement{Role: PermMaintain, Count: 2}, "2 approvals from users with maintain or higher"},
		{&Requirement{Role: PermWrite}, "a user with write or higher"},
		{&Requirement{Team: "acme/dba", Count: 1}, "team acme/dba"},
		{&Requirement{Team: "acme/dba", Count: 3}, "3 approvals from team acme/dba"},
		{&Requirement{Users: []string{"alice"}}, "alice"},
		{&Requirement{Users: []string{"alice", "bob"}}, "one of alice, bob"},
		{&Requirement{Users: []string{"alice", "bob"}, Count: 2}, "2 approvals from alice, bob"},
		{&Requirement{Codeowners: "db/", Count: 2}, "2 approvals from owners of db/"},
		{&Requirement{AllOf: []*Requirement{{Team: "acme/dba"}, {Codeowners: "db/migrations/"}}}, "all of: (team acme/dba) and (an owner of db/migrations/)"},
		{&Requirement{AnyOf: []*Requirement{{Team: "a/b"}, {AllOf: []*Requirement{{Users: []string{"x"}}, {Role: PermAdmin}}}}}, "any of: (team a/b) or (all of: (x) and (a user with admin or higher))"},
		{&Requirement{AllOf: []*Requirement{{Team: "a/b"}}}, "team a/b"},
		{nil, "nothing"},
	}
	for _, tt := range tests {
		if got := tt.req.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestRequirementLists(t *testing.T) {
	t.Parallel()
	r := &Requirement{AnyOf: []*Requirement{
		{Team: "acme/dba"},
		{AllOf: []*Requirement{{Team: "ACME/dba"}, {Team: "acme/sre"}, {Codeowners: "db/"}, {Users: []string{"alice", "bob"}}}},
		{Users: []string{"Alice", "carol"}},
		{Role: PermAdmin},
	}}
	got := map[string]any{
		"teams": r.Teams(), "paths": r.CodeownersPaths(), "users": r.UserLogins(), "roles": r.Roles(),
	}
	want := map[string]any{
		"teams": []string{"acme/dba", "acme/sre"},
		"paths": []string{"db/"},
		"users": []string{"alice", "bob", "carol"},
		"roles": []Permission{PermAdmin},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRequirementJSON(t *testing.T) {
	t.Parallel()
	r := &Requirement{AllOf: []*Requirement{{Team: "acme/dba", Count: 1}, {AnyOf: []*Requirement{{Role: PermMaintain, Count: 2}, {Users: []string{"alice"}, Count: 1}}}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"all_of":[{"team":"acme/dba","count":1},{"any_of":[{"role":"maintain","count":2},{"users":["alice"],"count":1}]}]}`
	if string(b) != want {
		t.Errorf("Marshal = %s\nwant %s", b, want)
	}
	var back Requirement
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{}`, `{"team":"x"}`, `{"role":"owner"}`, `{"team":"a/b","role":"admin"}`, `{"teem":"a/b"}`, `{"all_of":[{"team":"a/b"}],"count":2}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want error", bad)
		}
	}
}

func TestTighten(t *testing.T) {
	t.Parallel()
	base := &Requirement{Role: PermWrite, Count: 1}
	allOf := &Requirement{AllOf: []*Requirement{{Team: "acme/dba", Count: 1}, {Codeowners: "db/", Count: 1}}}
	tests := []struct {
		name    string
		base    *Requirement
		extra   []string
		want    string
		wantErr bool
	}{
		{"no extras keeps base", base, nil, "a user with write or higher", false},
		{"allow stays allow", nil, []string{" "}, "nothing", false},
		{"allow plus one extra", nil, []string{"team:acme/sre"}, "team acme/sre", false},
		{"allow plus two", nil, []string{"user:alice", "role:admin"}, "all of: (alice) and (a user with admin or higher)", false},
		{"adds to base", base, []string{"team:acme/sre"}, "all of: (a user with write or higher) and (team acme/sre)", false},
		{"flattens all_of", allOf, []string{"codeowners:ops/"}, "all of: (team acme/dba) and (an owner of db/) and (an owner of ops/)", false},
		{"count suffix", base, []string{"role:maintain*2"}, "all of: (a user with write or higher) and (2 approvals from users with maintain or higher)", false},
		{"several users", base, []string{"user:alice+bob*2"}, "all of: (a user with write or higher) and (2 approvals from alice, bob)", false},
		{"unknown kind", base, []string{"group:x"}, "", true},
		{"bad role", base, []string{"role:owner"}, "", true},
		{"bad team", base, []string{"team:sre"}, "", true},
		{"bad count", base, []string{"role:admin*0"}, "", true},
		{"missing value", base, []string{"team:"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Tighten(tt.base, tt.extra)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Tighten error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("Tighten = %q, want %q", got.String(), tt.want)
			}
		})
	}
	// Tightening must never loosen: whoever satisfies the result satisfies the base.
	got, _ := Tighten(allOf, []string{"user:alice"})
	if p := Check(got, []Vote{approve(Approver{Login: "alice"})}, false); p.Met {
		t.Error("extra approver alone satisfied a tightened requirement")
	}
	if allOf.String() != "all of: (team acme/dba) and (an owner of db/)" {
		t.Errorf("Tighten modified its base: %s", allOf)
	}
}

func TestSplitApprovers(t *testing.T) {
	t.Parallel()
	got := SplitApprovers("team:acme/sre, user:alice\nrole:admin  ")
	want := []string{"team:acme/sre", "user:alice", "role:admin"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
