package action

import (
	"context"
	"fmt"

	"github.com/stepgate/stepgate/gate"
)

// Origin says who asks when the command is not a workflow step's own: an
// AI coding agent's tool call, gated by `stepgate hook`.
type Origin struct {
	Source     string // gate.SourceAgent
	Agent      string // claude, codex, copilot, gemini
	Session    string // the agent's session id
	ToolCallID string // the agent's tool call id
	// Step replaces GITHUB_ACTION in the request's idempotency key, so that
	// every tool call of a step is its own request.
	Step string
}

// Decision is what Ask learned. Runnable is true only for allowed or
// approved decisions bound to exactly these bytes; Reason is one line for
// the person or agent that asked.
type Decision struct {
	Runnable bool
	Status   gate.Status
	Exit     int // the exit status `stepgate run` would have had; 0 when runnable
	Reason   string
	View     gate.RequestView
}

// Ask gates the command without running it: the same create, wait and
// binding check as Run, for a caller that runs the command itself once it
// may (an agent, after `stepgate hook` answered allow). Waiting ends at
// cfg.Timeout; the request is cancelled then, so a late approval cannot
// start anything.
func (g *Gate) Ask(ctx context.Context, origin Origin) Decision {
	o := &outcome{started: g.opts.Now()}
	if !g.decided(ctx, o, &origin) {
		return Decision{Status: o.status, Exit: o.gateExit, Reason: o.failReason, View: o.view}
	}
	d := func() Decision {
		return Decision{Status: o.status, Exit: o.gateExit, Reason: o.failReason, View: o.view}
	}
	out := d()
	out.Runnable = true
	out.Reason = fmt.Sprintf("%s by %s (request %s)", o.status, approvedByText(o.view), o.view.ID)
	return out
}
