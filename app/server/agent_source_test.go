package server

import (
	"net/http"
	"testing"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
)

// TestAgentSourceRule: `if: { source: agent }` matches what stepgate hook
// sends, and never a step's request.
func TestAgentSourceRule(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, `version: 1
rules:
  - name: agents-ask
    if: { source: agent }
    require: { users: [alice] }
  - name: default
    then: allow
`)
	tok := h.newRun()
	if code, v := h.create(tok, agentBody("make build", "s", "t1")); code != http.StatusCreated || v.Rule != "agents-ask" || v.Status != gate.StatusPending {
		t.Errorf("agent request: %d rule %q %s, want rule agents-ask pending", code, v.Rule, v.Status)
	}
	if code, v := h.create(tok, cmdBody("make build")); code != http.StatusCreated || v.Rule != "default" || v.Status != gate.StatusAllowed {
		t.Errorf("step request: %d rule %q %s, want default allowed", code, v.Rule, v.Status)
	}
}
