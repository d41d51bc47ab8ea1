package ghstandin_test

import "testing"

// GET /repos/{o}/{r}/pulls/{n} answers GitHub's full pull-request object;
// standintest fails the test if it does not match GitHub's description.
func TestGetPullRequest(t *testing.T) {
	t.Parallel()
	gh, a, tok := newStandin(t, "")
	st, m := a.do("GET", "/repos/"+repo+"/pulls/12", tok, nil)
	if st != 200 {
		t.Fatalf("GET pull: %d %v", st, m)
	}
	head, _ := m["head"].(map[string]any)
	user, _ := m["user"].(map[string]any)
	if m["number"] != float64(12) || head["sha"] != headSHA || head["ref"] != "feature" || user["login"] != "dev" || m["state"] != "open" {
		t.Errorf("pull = number %v head %v author %v state %v", m["number"], head, user["login"], m["state"])
	}
	if st, _ := a.do("GET", "/repos/"+repo+"/pulls/13", tok, nil); st != 404 {
		t.Errorf("unknown pull: %d, want 404", st)
	}
	if st, _ := a.do("GET", "/repos/other/repo/pulls/12", tok, nil); st != 404 {
		t.Errorf("other installation's pull: %d, want 404", st)
	}
	if errs := gh.TakeValidationErrors(); len(errs) != 0 {
		t.Errorf("validation errors: %v", errs)
	}
}
