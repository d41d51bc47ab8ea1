package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func owns(prefix string) func(string) bool {
	return func(p string) bool { return strings.HasPrefix(p, prefix) }
}

var (
	alice = Approver{Login: "alice", Permission: PermWrite}
	bob   = Approver{Login: "bob", Permission: PermMaintain, Teams: []string{"acme/dba"}}
	carol = Approver{Login: "carol", Permission: PermAdmin, Owns: owns("db/")}
	dave  = Approver{Login: "dave", Permission: PermRead, Teams: []string{"acme/dba"}, Owns: owns("db/")}
	robot = Approver{Login: "deploy-bot[bot]", Permission: PermAdmin, Bot: true}
	actor = Approver{Login: "erin", Permission: PermAdmin, RunActor: true}
)

func approve(a Approver) Vote { return Vote{Approver: a, Approve: true, Channel: "check_run"} }
func reject(a Approver) Vote  { return Vote{Approver: a, Channel: "comment"} }

func TestCheck(t *testing.T) {
	t.Parallel()
	dbaAndOwner := &Requirement{AllOf: []*Requirement{{Team: "acme/dba", Count: 1}, {Codeowners: "db/migrations/", Count: 1}}}
	twoMaintainers := &Requirement{Role: PermMaintain, Count: 2}
	maintainersOrAlice := &Requirement{AnyOf: []*Requirement{twoMaintainers, {Users: []string{"alice"}, Count: 1}}}
	write := &Requirement{Role: PermWrite, Count: 1}
	tests := []struct {
		name  string
		req   *Requirement
		votes []Vote
		self  bool
		want  Progress
	}{
		{
			name:  "all_of half done",
			req:   dbaAndOwner,
			votes: []Vote{approve(bob)},
			want: Progress{
				Pending: []string{"1 more from owners of db/migrations/"},
				Counted: map[string][]string{"bob": {"team acme/dba"}},
			},
		},
		{
			name:  "all_of by two people",
			req:   dbaAndOwner,
			votes: []Vote{approve(bob), approve(carol)},
			want: Progress{Met: true, Counted: map[string][]string{
				"bob": {"team acme/dba"}, "carol": {"an owner of db/migrations/"},
			}},
		},
		{
			name:  "one approval satisfies several leaves",
			req:   dbaAndOwner,
			votes: []Vote{approve(dave)},
			want: Progress{Met: true, Counted: map[string][]string{
				"dave": {"team acme/dba", "an owner of db/migrations/"},
			}},
		},
		{
			name:  "min role count 2 not met by one",
			req:   twoMaintainers,
			votes: []Vote{approve(bob), approve(alice)},
			want: Progress{
				Pending: []string{"1 more from users with maintain or higher"},
				Counted: map[string][]string{"bob": {"2 approvals from users with maintain or higher"}},
				Ignored: map[string]string{"alice": "needs maintain permission"},
			},
		},
		{
			name:  "min role count 2 met",
			req:   twoMaintainers,
			votes: []Vote{approve(bob), approve(carol)},
			want: Progress{Met: true, Counted: map[string][]string{
				"bob":   {"2 approvals from users with maintain or higher"},
				"carol": {"2 approvals from users with maintain or higher"},
			}},
		},
		{
			name:  "duplicate approver counts once",
			req:   twoMaintainers,
			votes: []Vote{approve(bob), approve(Approver{Login: "BOB", Permission: PermMaintain})},
			want: Progress{
				Pending: []string{"1 more from users with maintain or higher"},
				Counted: map[string][]string{"bob": {"2 approvals from users with maintain or higher"}},
			},
		},
		{
			name:  "any_of by the named user",
			req:   maintainersOrAlice,
			votes: []Vote{approve(alice)},
			want:  Progress{Met: true, Counted: map[string][]string{"alice": {"alice"}}},
		},
		{
			name:  "any_of pending lists alternatives",
			req:   maintainersOrAlice,
			votes: []Vote{approve(bob)},
			want: Progress{
				Pending: []string{"1 more from users with maintain or higher", "1 more from alice"},
				Counted: map[string][]string{"bob": {"2 approvals from users with maintain or higher"}},
			},
		},
		{
			name:  "codeowners",
			req:   &Requirement{Codeowners: "db/x.sql", Count: 1},
			votes: []Vote{approve(alice), approve(carol)},
			want: Progress{Met: true, Counted: map[string][]string{"carol": {"an owner of db/x.sql"}},
				Ignored: map[string]string{"alice": "needs to own db/x.sql in CODEOWNERS"}},
		},
		{
			name:  "run actor without self-approval",
			req:   write,
			votes: []Vote{approve(actor)},
			want: Progress{Pending: []string{"1 more from users with write or higher"},
				Ignored: map[string]string{"erin": "the run's actor cannot approve"}},
		},
		{
			name:  "run actor with self-approval",
			req:   write,
			votes: []Vote{approve(actor)},
			self:  true,
			want:  Progress{Met: true, Counted: map[string][]string{"erin": {"a user with write or higher"}}},
		},
		{
			name:  "bot never counts, even with self-approval",
			req:   write,
			votes: []Vote{approve(robot), reject(robot)},
			self:  true,
			want: Progress{Pending: []string{"1 more from users with write or higher"},
				Ignored: map[string]string{"deploy-bot[bot]": "bots never count"}},
		},
		{
			name:  "reject by ineligible is ignored",
			req:   dbaAndOwner,
			votes: []Vote{reject(alice), approve(dave)},
			want: Progress{Met: true,
				Counted: map[string][]string{"dave": {"team acme/dba", "an owner of db/migrations/"}},
				Ignored: map[string]string{"alice": "needs membership in team acme/dba or to own db/migrations/ in CODEOWNERS"}},
		},
		{
			name:  "reject by eligible rejects",
			req:   dbaAndOwner,
			votes: []Vote{approve(dave), reject(carol)},
			want: Progress{Rejected: true, RejectedBy: "carol",
				Counted: map[string][]string{"dave": {"team acme/dba", "an owner of db/migrations/"}}},
		},
		{
			name:  "actor cannot reject either",
			req:   write,
			votes: []Vote{reject(actor), approve(alice)},
			want: Progress{Met: true, Counted: map[string][]string{"alice": {"a user with write or higher"}},
				Ignored: map[string]string{"erin": "the run's actor cannot approve"}},
		},
		{
			name:  "approve then reject is a rejection",
			req:   write,
			votes: []Vote{approve(alice), reject(alice)},
			want:  Progress{Rejected: true, RejectedBy: "alice"},
		},
		{
			name: "nil requirement is met",
			want: Progress{Met: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Check(tt.req, tt.votes, tt.self)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEligible(t *testing.T) {
	t.Parallel()
	req := &Requirement{AnyOf: []*Requirement{{Role: PermAdmin, Count: 1}, {Users: []string{"Alice"}, Count: 1}}}
	tests := []struct {
		a       Approver
		self    bool
		wantOK  bool
		wantWhy string
	}{
		{alice, false, true, ""},
		{carol, false, true, ""},
		{bob, false, false, "needs admin permission or to be Alice"},
		{robot, true, false, "bots never count"},
		{actor, false, false, "the run's actor cannot approve"},
		{actor, true, true, ""},
		{Approver{}, false, false, "vote without a login"},
	}
	for _, tt := range tests {
		ok, why := Eligible(req, tt.a, tt.self)
		if ok != tt.wantOK || why != tt.wantWhy {
			t.Errorf("Eligible(%s, self=%v) = %v, %q; want %v, %q", tt.a.Login, tt.self, ok, why, tt.wantOK, tt.wantWhy)
		}
	}
}

func TestPermissionAtLeast(t *testing.T) {
	t.Parallel()
	order := []Permission{PermNone, PermRead, PermTriage, PermWrite, PermMaintain, PermAdmin}
	for i, p := range order {
		for j, q := range order {
			if got := p.AtLeast(q); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", p, q, got)
			}
		}
	}
	if !Permission("push").AtLeast(PermWrite) || Permission("bogus").AtLeast(PermRead) {
		t.Error("legacy/unknown permission names ranked wrongly")
	}
}
