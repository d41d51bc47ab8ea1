package webhookex

import "testing"

func TestExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event, action string
		keep          func(map[string]any) bool
		want          []string // key paths that must be present
	}{
		{"check_run", "requested_action", nil, []string{"check_run.id", "requested_action.identifier", "installation.id"}},
		{"issue_comment", "created", nil, []string{"issue.number", "comment.body", "comment.user.type"}},
		{"commit_comment", "created", nil, []string{"comment.commit_id", "comment.body"}},
		{"installation", "deleted", nil, []string{"installation.id", "installation.account.login"}},
	}
	for _, tt := range tests {
		m := Example(t, tt.event, tt.action, tt.keep)
		for _, p := range tt.want {
			if Get(m, split(p)...) == nil {
				t.Errorf("%s %s: %s missing", tt.event, tt.action, p)
			}
		}
	}
	// Copies are independent: editing one does not change the next.
	a := Example(t, "check_run", "requested_action", nil)
	a["action"] = "edited"
	if b := Example(t, "check_run", "requested_action", nil); b["action"] != "requested_action" {
		t.Error("examples share state")
	}
}

func split(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}
