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
	secrets := secretValues(g.opts.Environ(), g.opts.Redact)
	o.command = g.opts.Redact(g.cfg.Command, secrets...)
	if g.opts.Assess != nil {
		o.risk = g.opts.Assess(g.cfg.Command)
	}
	g.log.intro(g.cfg, o)
	hash := gate.CommandHash(g.cfg.Command, g.cfg.Shell, g.cfg.WorkingDirectory)
	body := g.createRequest(o, hash, secrets)
	body.Source, body.Agent, body.AgentSession, body.ToolCallID = origin.Source, origin.Agent, origin.Session, origin.ToolCallID
	if origin.Step != "" {
		body.Step = origin.Step
	}
	d := func() Decision {
		return Decision{Status: o.status, Exit: o.gateExit, Reason: o.failReason, View: o.view}
	}
	view, err := g.api.create(ctx, body)
	if err != nil {
		g.fail(ctx, o, err, "asking the App for approval")
		return d()
	}
	if view.ID == "" || view.Status == "" {
		g.fail(ctx, o, fmt.Errorf("the App's answer has no request id or status"), "asking the App for approval")
		return d()
	}
	o.view, o.status = view, view.Status
	g.log.asked(view)
	if !view.Status.Final() && !g.wait(ctx, o) {
		return d()
	}
	if !o.status.Runnable() {
		g.refuse(o)
		return d()
	}
	if o.view.CommandSHA256 != hash {
		o.gateExit, o.status = ExitMismatch, "error"
		o.failReason = fmt.Sprintf("decision is bound to different bytes: the App's decision covers command hash %s, not %s", short(o.view.CommandSHA256), short(hash))
		g.log.errorf("%s", o.failReason)
		return d()
	}
	out := d()
	out.Runnable = true
	out.Reason = fmt.Sprintf("%s by %s (request %s)", o.status, approvedByText(o.view), o.view.ID)
	return out
}
