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
