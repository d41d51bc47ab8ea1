package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/testutil"
)

const agentPolicy = `version: 1
defaults:
  agent: { max_commands_per_minute: 30 }
rules:
  - name: read-only
    if: { command: ["ls*", "git status*"] }
    then: allow
  - name: default
    require: { users: [alice] }
`

func agentBody(command, session, call string) gate.CreateRequest {
	b := cmdBody(command)
	b.Environment = ""
	b.Source, b.Agent, b.AgentSession, b.ToolCallID = gate.SourceAgent, "claude", session, call
	b.Step = "run-claude/agent:claude:" + call
	return b
}

// TestAgentRequests: agent requests record which agent, session and tool
// call asked, in the request, its view and every audit event.
func TestAgentRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, agentPolicy)
	tok := h.newRun()
	code, v := h.create(tok, agentBody("ls -la", "sess-1", "toolu_1"))
	if code != http.StatusCreated || v.Status != gate.StatusAllowed {
		t.Fatalf("create = %d %s, want 201 allowed", code, v.Status)
	}
	if v.Source != "agent" || v.Agent != "claude" || v.AgentSession != "sess-1" || v.ToolCallID != "toolu_1" {
		t.Errorf("view origin = %q %q %q %q", v.Source, v.Agent, v.AgentSession, v.ToolCallID)
	}
	if r := h.request(v.ID); r.Source != "agent" || r.Agent != "claude" || r.AgentSession != "sess-1" || r.ToolCallID != "toolu_1" {
		t.Errorf("stored origin = %q %q %q %q", r.Source, r.Agent, r.AgentSession, r.ToolCallID)
	}
	evs, err := h.st.ListAudit(context.Background(), repoA, time.Time{})
	if err != nil || len(evs) < 2 {
		t.Fatalf("audit: %d events, %v; want requested and allowed", len(evs), err)
	}
	for _, e := range evs {
		if e.Details["agent"] != "claude" || e.Details["agent_session"] != "sess-1" || e.Details["tool_call_id"] != "toolu_1" || e.Details["source"] != "agent" {
			t.Errorf("audit %s details = %v, want the agent's origin", e.Type, e.Details)
		}
	}
	// A step's request says "step" and carries no agent fields.
	code, sv := h.create(tok, cmdBody("ls"))
	if code != http.StatusCreated || sv.Source != gate.SourceStep || sv.Agent != "" {
		t.Errorf("step create = %d, source %q agent %q", code, sv.Source, sv.Agent)
	}
}

func TestAgentOriginValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	tok := h.newRun()
	for name, edit := range map[string]func(*gate.CreateRequest){
		"unknown source":        func(b *gate.CreateRequest) { b.Source = "human" },
		"unknown agent":         func(b *gate.CreateRequest) { b.Agent = "devin" },
		"agent fields on step":  func(b *gate.CreateRequest) { b.Source = gate.SourceStep },
		"control chars":         func(b *gate.CreateRequest) { b.AgentSession = "s\n::error::x" },
		"session too long":      func(b *gate.CreateRequest) { b.AgentSession = strings.Repeat("s", 257) },
		"tool call id too long": func(b *gate.CreateRequest) { b.ToolCallID = strings.Repeat("t", 257) },
	} {
		b := agentBody("ls", "s", "t")
		edit(&b)
		if code, _ := h.create(tok, b); code != http.StatusBadRequest {
			t.Errorf("%s: create = %d, want 400", name, code)
		}
	}
}

// TestAgentVelocityCap: with max_commands_per_minute 30 the 31st command of
// a session's burst is rejected with a reason naming the key, whatever its
// policy outcome; another session and a later minute are not affected.
func TestAgentVelocityCap(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{clock: true})
	h.gh.setFile(repoA, lifecycle.PolicyPath, agentPolicy)
	tok := h.newRun()
	for i := 1; i <= 30; i++ {
		cmd := "ls " + fmt.Sprint(i)
		if i%10 == 0 {
			cmd = "make deploy-" + fmt.Sprint(i) // needs approval: counts too
		}
		code, v := h.create(tok, agentBody(cmd, "burst", fmt.Sprintf("call-%d", i)))
		if code != http.StatusCreated || v.Status == gate.StatusRejected {
			t.Fatalf("command %d: %d %s (%s), want under the cap", i, code, v.Status, v.Reason)
		}
		h.advance(100 * time.Millisecond)
	}
	code, v := h.create(tok, agentBody("ls 31", "burst", "call-31"))
	if code != http.StatusCreated || v.Status != gate.StatusRejected || v.Rule != lifecycle.VelocityRule ||
		!strings.Contains(v.Reason, "max_commands_per_minute is 30") {
		t.Fatalf("31st command: %d %s rule %q reason %q; want rejected by the cap", code, v.Status, v.Rule, v.Reason)
	}
	if _, v := h.create(tok, agentBody("ls", "other-session", "call-x")); v.Status != gate.StatusAllowed {
		t.Errorf("another session: %s (%s), want allowed", v.Status, v.Reason)
	}
	if _, v := h.create(tok, cmdBody("ls 32")); v.Status != gate.StatusAllowed {
		t.Errorf("a step's command: %s (%s), want allowed (the cap is for agents)", v.Status, v.Reason)
	}
	h.advance(time.Minute)
	if _, v := h.create(tok, agentBody("ls 33", "burst", "call-33")); v.Status != gate.StatusAllowed {
		t.Errorf("a minute later: %s (%s), want allowed", v.Status, v.Reason)
	}
}

// sessionRuns are the check runs that are an agent session's overview.
func sessionRuns(h *harness) []ghapi.CheckRun {
	var out []ghapi.CheckRun
	for _, r := range h.gh.runs() {
		if r.ExternalID == "agent-session" {
			out = append(out, r)
		}
	}
	return out
}

// TestAgentSessionCheckRun: one check run per agent session lists what
// waits and what was decided; commands allowed at once are only counted
// and cost no GitHub call.
func TestAgentSessionCheckRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, agentPolicy)
	h.gh.setPerm(repoA, "alice", "write")
	tok := h.newRun()
	for i := range 3 {
		if _, v := h.create(tok, agentBody(fmt.Sprintf("ls %d", i), "s1", fmt.Sprintf("ls-%d", i))); v.Status != gate.StatusAllowed {
			t.Fatalf("ls: %s", v.Status)
		}
	}
	for _, op := range []string{"create_check_run", "update_check_run", "create_issue_comment", "create_commit_comment"} {
		if n := h.gh.callsOf(op); n != 0 {
			t.Errorf("allowed agent commands made %d %s calls, want none", n, op)
		}
	}
	if n := len(sessionRuns(h)); n != 0 {
		t.Fatalf("%d session check runs before anything waited", n)
	}
	_, v1 := h.create(tok, agentBody("make deploy-a", "s1", "deploy-a"))
	_, v2 := h.create(tok, agentBody("make deploy-b", "s1", "deploy-b"))
	if v1.Status != gate.StatusPending || v2.Status != gate.StatusPending {
		t.Fatalf("deploys: %s %s, want pending", v1.Status, v2.Status)
	}
	runs := sessionRuns(h)
	if len(runs) != 1 || !strings.Contains(runs[0].Title, "2 waiting, 0 decided, 3 passed") || runs[0].Status != "in_progress" || len(runs[0].Actions) != 0 {
		t.Fatalf("session check runs %+v, want one listing 2 waiting, no buttons", runs)
	}
	h.sendVote(h.request(v1.ID), vote{login: "alice", approve: true, channel: "click"})
	h.sendVote(h.request(v2.ID), vote{login: "alice", approve: false, channel: "click"})
	testutil.Eventually(t, 5*time.Second, func() bool {
		runs = sessionRuns(h)
		return len(runs) == 1 && strings.Contains(runs[0].Title, "0 waiting, 2 decided")
	}, "the session check run to say 0 waiting, 2 decided")
	if runs[0].Status != "completed" || runs[0].Conclusion != "neutral" ||
		!strings.Contains(runs[0].Summary, "approved") || !strings.Contains(runs[0].Summary, "rejected") || !strings.Contains(runs[0].Summary, "alice") {
		t.Errorf("decided session check run: %s/%s\n%s", runs[0].Status, runs[0].Conclusion, runs[0].Summary)
	}
	// Another session gets its own.
	h.create(tok, agentBody("make deploy-c", "s2", "deploy-c"))
	if n := len(sessionRuns(h)); n != 2 {
		t.Errorf("%d session check runs, want one per session", n)
	}
}
