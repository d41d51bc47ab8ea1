package webhookschema_test

import (
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/webhookex"
	"github.com/stepgate/stepgate/internal/webhookschema"
)

// GitHub's own examples pass; the same payload with a required field
// removed or a wrong type does not, so the check is not vacuous.
func TestValidateRealExamples(t *testing.T) {
	t.Parallel()
	s := webhookschema.ForTest(t)
	ex := webhookex.Example(t, "check_run", "requested_action", nil)
	if err := s.Validate("check_run", "requested_action", ex); err != nil {
		t.Fatalf("GitHub's own example fails: %v", err)
	}
	delete(ex, "repository")
	if err := s.Validate("check_run", "requested_action", ex); err == nil {
		t.Error("a payload without repository passed")
	}
	ex = webhookex.Example(t, "issue_comment", "created", nil)
	ex["comment"].(map[string]any)["id"] = "not a number"
	if err := s.Validate("issue_comment", "created", ex); err == nil {
		t.Error("a comment id that is a string passed")
	}
}

func TestValidateDeploymentProtectionRule(t *testing.T) {
	t.Parallel()
	s := webhookschema.ForTest(t)
	ex := webhookex.Example(t, "check_run", "requested_action", nil)
	p := map[string]any{
		"action": "requested", "environment": "production", "event": "push",
		"deployment_callback_url": "https://api.github.com/repos/o/r/actions/runs/1/deployment_protection_rule",
		"repository":              ex["repository"], "sender": ex["sender"],
	}
	if err := s.Validate("deployment_protection_rule", "requested", p); err != nil {
		t.Fatal(err)
	}
	p["action"] = "approved"
	if err := s.Validate("deployment_protection_rule", "requested", p); err == nil || !strings.Contains(err.Error(), "webhook-deployment-protection-rule-requested") {
		t.Errorf("unknown action: err = %v", err)
	}
	if err := s.Validate("no_such_event", "", p); err == nil {
		t.Error("an unknown event passed")
	}
}
