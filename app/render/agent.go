package render

import "github.com/stepgate/stepgate/gate"

// agentSection says, for a command an AI coding agent asked for (stepgate
// hook), which agent, session and tool call it came from: reviewers should
// know a model chose it, not the workflow's author. Empty for steps.
func agentSection(r *gate.Request) string {
	if r.Source != gate.SourceAgent {
		return ""
	}
	line := "Asked by the AI agent **" + Escape(r.Agent) + "**"
	if r.AgentSession != "" {
		line += ", session " + CodeCell(r.AgentSession, 80)
	}
	if r.ToolCallID != "" {
		line += ", tool call " + CodeCell(r.ToolCallID, 80)
	}
	return line + ".\n\n"
}

// agentRows adds the agent's identity to the details table.
func agentRows(t *Table, r *gate.Request) {
	if r.Source != gate.SourceAgent {
		return
	}
	t.Row("Agent", CodeCell(r.Agent, 40))
	t.Row("Agent session", CodeCell(r.AgentSession, 100))
	t.Row("Tool call", CodeCell(r.ToolCallID, 100))
}
