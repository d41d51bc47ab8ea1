package hook

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Exit statuses of stepgate hook. Every agent documents exit 2 as "block
// this tool call" (Claude Code, Codex, Gemini CLI: stderr is the reason;
// Copilot: exit 2 denies even if stdout says allow), so every deny exits 2,
// whatever else the agent would also understand.
const (
	ExitAllow = 0
	ExitDeny  = 2
)

// Verdict is the hook's answer to one tool call.
type Verdict int

// Verdicts.
const (
	// Pass: not a shell tool; no opinion, the agent's own permission
	// flow applies (exit 0, no decision).
	Pass Verdict = iota
	// Allow: the App answered allowed or approved for these exact bytes.
	Allow
	// Deny: everything else.
	Deny
)

// Answer is a verdict with the one line the agent shows (and tells its
// model) about it.
type Answer struct {
	Verdict Verdict
	Reason  string
}

// Write answers in agent's protocol (its documented stdout JSON and exit
// code) and returns the exit status. An unknown agent gets the answer
// every agent reads as a block: exit 2 with the reason on stderr.
func (a Answer) Write(agent Agent, stdout, stderr io.Writer) int {
	reason := oneLine(a.Reason)
	var out any
	switch a.Verdict {
	case Pass:
		if agent == Gemini {
			out = struct{}{} // Gemini parses stdout of exit 0 as JSON
		}
	case Allow:
		switch agent {
		case Claude:
			out = hookSpecific{HookSpecificOutput: preToolUseOutput{HookEventName: "PreToolUse", PermissionDecision: "allow", PermissionDecisionReason: reason}}
		case Copilot:
			out = copilotOutput{PermissionDecision: "allow", PermissionDecisionReason: reason}
		case Gemini:
			out = geminiOutput{Decision: "allow", Reason: reason}
			// Codex: exit 0 and no output is "proceed"; its releases
			// disagree on permissionDecision "allow" (some reject it as
			// unsupported), and a rejected output is logged as a hook
			// failure on every allowed command.
		}
	default:
		switch agent {
		case Claude, Codex:
			out = hookSpecific{HookSpecificOutput: preToolUseOutput{HookEventName: "PreToolUse", PermissionDecision: "deny", PermissionDecisionReason: reason}}
		case Copilot:
			out = copilotOutput{PermissionDecision: "deny", PermissionDecisionReason: reason}
		case Gemini:
			out = geminiOutput{Decision: "deny", Reason: reason}
		}
		if out != nil {
			writeJSON(stdout, out)
		}
		fmt.Fprintln(stderr, reason)
		return ExitDeny
	}
	if out != nil {
		writeJSON(stdout, out)
	}
	return ExitAllow
}

// hookSpecific is Claude Code's (and Codex's) PreToolUse output.
type hookSpecific struct {
	HookSpecificOutput preToolUseOutput `json:"hookSpecificOutput"`
}

type preToolUseOutput struct {
	HookEventName            string `json:"hookEventName"`
	PermissionDecision       string `json:"permissionDecision"`
	PermissionDecisionReason string `json:"permissionDecisionReason,omitempty"`
}

// copilotOutput is Copilot's preToolUse decision control.
type copilotOutput struct {
	PermissionDecision       string `json:"permissionDecision"`
	PermissionDecisionReason string `json:"permissionDecisionReason,omitempty"`
}

// geminiOutput is Gemini CLI's BeforeTool decision.
type geminiOutput struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
}

func writeJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	w.Write(append(b, '\n'))
}

// oneLine keeps a reason to one short line: agents show it in a status
// line and hand it to the model.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		s = "stepgate: denied"
	}
	const max = 400
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut-- // do not split a UTF-8 sequence
		}
		s = s[:cut] + "…"
	}
	return s
}

// Timeouts: each agent's documented default hook timeout, after which the
// agent gives up on the hook and lets the tool call proceed (fails open).
var agentTimeouts = map[Agent]time.Duration{
	Claude:  600 * time.Second, // "timeout" in settings, seconds; default 600 (command hooks)
	Codex:   600 * time.Second, // "timeout" in hooks.json, seconds; default 600
	Copilot: 30 * time.Second,  // "timeoutSec"; default 30
	Gemini:  60 * time.Second,  // "timeout" in ms; default 60000
}

// AgentTimeout is agent's documented default hook timeout; for an agent
// not known yet (before the event is read) the shortest of them, 30 s.
func AgentTimeout(agent Agent) time.Duration {
	if d, ok := agentTimeouts[agent]; ok {
		return d
	}
	return 30 * time.Second
}

// Deadline is when the hook must have answered, for an agent that gives
// up after timeout: a margin of a tenth (at least 3 s, at most 30 s) before
// it, so the answer is written, flushed and read while the agent still
// waits.
func Deadline(timeout time.Duration) time.Duration {
	margin := min(max(timeout/10, 3*time.Second), 30*time.Second)
	if timeout <= 2*margin {
		return timeout / 2
	}
	return timeout - margin
}
