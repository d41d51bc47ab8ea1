package manifest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestManifest pins the App's access: widening it must be a visible change.
func TestManifest(t *testing.T) {
	t.Parallel()
	var m struct {
		Name        string               `json:"name"`
		Hook        struct{ URL string } `json:"hook_attributes"`
		RedirectURL string               `json:"redirect_url"`
		Perms       map[string]string    `json:"default_permissions"`
		Events      []string             `json:"default_events"`
	}
	dec := json.NewDecoder(strings.NewReader(string(JSON)))
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	wantPerms := map[string]string{"checks": "write", "contents": "read", "pull_requests": "write", "issues": "write", "members": "read", "metadata": "read"}
	if diff := cmp.Diff(wantPerms, m.Perms); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"check_run", "issue_comment", "commit_comment"}, m.Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if m.Name == "" || !strings.HasSuffix(m.Hook.URL, "/webhook") || m.RedirectURL == "" {
		t.Errorf("name %q, hook %q, redirect %q", m.Name, m.Hook.URL, m.RedirectURL)
	}
}
