package lifecycle

import (
	"strings"
	"testing"

	"github.com/stepgate/stepgate/gate/policy"
)

// Issue 13: the approvers input made the App @-mention anyone it named.
func TestApproversInputIsShownNotMentioned(t *testing.T) {
	t.Parallel()
	base, err := policy.ParseApprover("team:acme/dba")
	if err != nil {
		t.Fatal(err)
	}
	req, err := policy.Tighten(base, []string{"team:acme/everyone", "user:mallory"})
	if err != nil {
		t.Fatal(err)
	}
	users, teams, extra := mentionable(req, []string{"team:acme/everyone", "user:mallory"})
	if strings.Join(teams, ",") != "acme/dba" || len(users) != 0 {
		t.Errorf("mentioned users %v teams %v, want only the policy's team acme/dba", users, teams)
	}
	if strings.Join(extra, ",") != "team:acme/everyone,user:mallory" {
		t.Errorf("extra = %v, want the input's approvers shown", extra)
	}
}
