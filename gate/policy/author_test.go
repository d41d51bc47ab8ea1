package policy

import "testing"

// The pull request's author is excluded like the run's actor, unless the
// policy allows self-approval.
func TestPRAuthorIsNotAnApprover(t *testing.T) {
	req := &Requirement{Role: PermWrite, Count: 1}
	author := Approver{Login: "pat", Permission: PermAdmin, PRAuthor: true}
	if ok, why := Eligible(req, author, false); ok || why != whyAuthor {
		t.Errorf("Eligible(PR author) = %v %q, want false %q", ok, why, whyAuthor)
	}
	if p := Check(req, []Vote{{Approver: author, Approve: true}}, false); p.Met {
		t.Error("the PR author's approval met the requirement")
	}
	if ok, _ := Eligible(req, author, true); !ok {
		t.Error("with self_approval the PR author counts")
	}
}
