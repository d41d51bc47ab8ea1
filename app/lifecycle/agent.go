package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
)

// Requests from AI coding agents (`stepgate hook`): who asked (source,
// agent, session, tool call) is recorded on the request and in every audit
// event, and the policy's defaults.agent caps how fast one session may ask.

// agents are the agents `stepgate hook` speaks for.
var agents = map[string]bool{"claude": true, "codex": true, "copilot": true, "gemini": true}

// VelocityRule names the rule of a request refused by the agent cap.
const VelocityRule = "defaults.agent.max_commands_per_minute"

// validateOrigin checks the source fields of a create body and fills the
// default source ("step"). They are the caller's word (the token says
// which job, not which process in it asks); policy treats "agent" as
// stricter, never looser.
func validateOrigin(b *gate.CreateRequest) error {
	switch b.Source {
	case "", gate.SourceStep:
		if b.Agent != "" || b.AgentSession != "" || b.ToolCallID != "" {
			return errorf(Invalid, `agent, agent_session and tool_call_id are only for source "agent"`)
		}
		b.Source = gate.SourceStep
	case gate.SourceAgent:
		if !agents[b.Agent] {
			return errorf(Invalid, "agent must be one of claude, codex, copilot, gemini")
		}
		for name, v := range map[string]string{"agent_session": b.AgentSession, "tool_call_id": b.ToolCallID} {
			if len(v) > 256 || strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
				return errorf(Invalid, name+" must be at most 256 printable characters")
			}
		}
	default:
		return errorf(Invalid, `source must be "step" or "agent"`)
	}
	return nil
}

// setOrigin copies the validated source fields onto a new request.
func setOrigin(r *gate.Request, b *gate.CreateRequest) {
	r.Source, r.Agent, r.AgentSession, r.ToolCallID = b.Source, b.Agent, b.AgentSession, b.ToolCallID
}

// originDetails adds who asked to an audit event's details: every event of
// an agent's request says which agent, session and tool call it concerns.
func originDetails(r *gate.Request, d map[string]string) map[string]string {
	if r.Source != gate.SourceAgent {
		return d
	}
	if d == nil {
		d = map[string]string{}
	}
	d["source"], d["agent"] = r.Source, r.Agent
	if r.AgentSession != "" {
		d["agent_session"] = r.AgentSession
	}
	if r.ToolCallID != "" {
		d["tool_call_id"] = r.ToolCallID
	}
	return d
}

// overVelocity counts an agent's command against the policy's
// defaults.agent.max_commands_per_minute (a sliding minute per run attempt
// and session, shared by every replica through the store). It returns the
// refusal reason when the command is over the cap, "" otherwise.
func (l *Lifecycle) overVelocity(ctx context.Context, r *gate.Request, pol *policy.Policy) (string, error) {
	if r.Source != gate.SourceAgent || pol == nil || pol.Defaults.Agent == nil || pol.Defaults.Agent.MaxCommandsPerMinute <= 0 {
		return "", nil
	}
	limit := pol.Defaults.Agent.MaxCommandsPerMinute
	key := fmt.Sprintf("%s#%d#%d#%s#%s", r.Repo, r.RunID, r.RunAttempt, r.Agent, r.AgentSession)
	n, ok, err := l.store.AgentCommand(ctx, key, limit, time.Minute, r.CreatedAt)
	if err != nil {
		return "", l.storeErr("agent_command", err)
	}
	if ok {
		return "", nil
	}
	return fmt.Sprintf("%s session %s asked for %d commands in the last minute; the policy's defaults.agent.max_commands_per_minute is %d. Slow down and retry later",
		r.Agent, orDash(r.AgentSession), n, limit), nil
}

// countAgent counts a new agent request by its first status.
func (l *Lifecycle) countAgent(r *gate.Request) {
	if r.Source == gate.SourceAgent {
		l.metrics.agentCommands.WithLabelValues(r.Agent, string(r.Status)).Inc()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
