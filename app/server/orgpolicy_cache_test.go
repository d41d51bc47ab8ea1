package server

import "testing"

// An owner without an org-wide policy is asked once, not on every request
// of its repositories that have no policy of their own.
func TestMissingOrgPolicyIsRemembered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, c := range []string{"./a.sh", "./b.sh", "./c.sh"} {
		if code, _ := h.create(h.newRun(), cmdBody(c)); code != 201 {
			t.Fatalf("create %s = %d", c, code)
		}
	}
	if got := h.gh.callsOf("org_file"); got != 1 {
		t.Errorf("reads of the owner's .github policy = %d, want 1", got)
	}
	if got := h.gh.callsOf("file"); got != 3 {
		t.Errorf("reads of the repository's policy = %d, want 3 (it may change at any time)", got)
	}
}
