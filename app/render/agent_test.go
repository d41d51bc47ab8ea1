package render

import (
	"strings"
	"testing"

	"github.com/stepgate/stepgate/gate"
)

// TestAgentRequestsSayWhoAsked: an agent's request names the agent,
// session and tool call in the check run and the comment; hostile ids stay
// inert. A step's request has no agent line.
func TestAgentRequestsSayWhoAsked(t *testing.T) {
	t.Parallel()
	for _, st := range []gate.Status{gate.StatusPending, gate.StatusApproved} {
		g := hostileEverywhere(st)
		g.Request.Source, g.Request.Agent = gate.SourceAgent, "claude"
		g.Request.AgentSession = "sess|" + evilLink + " @octocat `x`"
		g.Request.ToolCallID = "toolu_1 <img src=x onerror=alert(1)> | --- |"
		out := CheckRun(g)
		for name, md := range map[string]string{"summary": out.Summary, "text": out.Text, "comment": Comment(g)} {
			if !strings.Contains(md, "claude") {
				t.Errorf("%s %s does not name the agent:\n%s", st, name, md)
			}
			checkInert(t, string(st)+" agent "+name, md, []string{"@alice", "@acme/dba"})
		}
	}
	step := CheckRun(Gate{Request: request(gate.StatusPending, "ls")})
	if strings.Contains(step.Summary, "AI agent") || strings.Contains(step.Text, "Agent session") {
		t.Errorf("a step's check run mentions an agent:\n%s\n%s", step.Summary, step.Text)
	}
}

func TestAgentSessionCheckRun(t *testing.T) {
	t.Parallel()
	a := &gate.AgentSession{Agent: "claude", Session: "sess|" + evilLink, Allowed: 7, Refused: 1, Commands: []gate.AgentSessionCommand{
		{RequestID: "sg_one", Command: "make deploy | " + evilLink + " @octocat", Status: gate.StatusPending, Rule: "default", Risk: "medium"},
		{RequestID: "sg_two", Command: "go test ./...", Status: gate.StatusApproved, Rule: "default", By: []string{"alice"}},
		{RequestID: "sg_bad|x", Command: "rm -rf build", Status: gate.StatusRejected, By: []string{"mallory|" + evilLink}},
	}}
	out := AgentSession(a)
	if !strings.Contains(out.Title, "1 waiting, 2 decided, 7 passed") {
		t.Errorf("title %q", out.Title)
	}
	for _, want := range []string{"Waiting for a reviewer", "sg_one", "Decided", "sg_two", "invalid-id", "7 more passed", "1 were refused"} {
		if !strings.Contains(out.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, out.Summary)
		}
	}
	checkInert(t, "agent session", out.Summary, nil)
}
