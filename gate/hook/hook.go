// Package hook is `stepgate hook`: a pre-tool-use hook for AI coding
// agents (Claude Code, Codex, GitHub Copilot, Gemini CLI) running in a
// workflow. It reads one tool-call event in the agent's documented format,
// gates a shell command through the stepgate App like a step's command
// (source "agent", bound to the exact command text and working directory
// the event names), and answers in the agent's protocol.
//
// It fails closed: an answer other than allowed or approved, an error of
// any kind, and running out of time are all a deny, and the deny is written
// before the agent's own hook timeout, after which agents let the call
// through.
package hook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Config is what one invocation needs besides the event.
type Config struct {
	// Agent is the protocol to answer in; "" detects it from the event.
	Agent Agent
	// Timeout is the agent's hook timeout as configured for this hook (0:
	// the agent's documented default). The hook answers before it.
	Timeout time.Duration
}

// Asker asks the App about one shell command and waits at most wait.
// A deny answer must say why in one line.
type Asker func(ctx context.Context, ev Event, wait time.Duration) Answer

// Options are the hook's collaborators.
type Options struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Ask            Asker
	// Started is when the agent started the hook (default: now). The
	// agent's timeout counts from there.
	Started time.Time
}

// Run answers one event and returns the exit status.
func Run(ctx context.Context, cfg Config, opts Options) int {
	if opts.Started.IsZero() {
		opts.Started = time.Now()
	}
	agent := cfg.Agent
	data, err := readEvent(opts.Stdin, opts.Started.Add(Deadline(cfg.timeout(agent))))
	if err != nil {
		return deny(fmt.Sprintf("stepgate: cannot read the tool-call event: %v; denied", err)).Write(agent, opts.Stdout, opts.Stderr)
	}
	ev, err := Parse(data, agent)
	if agent == "" {
		agent = ev.Agent
	}
	if err != nil {
		return deny(fmt.Sprintf("stepgate: %v; denied (stepgate hook fails closed)", err)).Write(agent, opts.Stdout, opts.Stderr)
	}
	if !ev.Shell {
		for _, p := range ev.Writes {
			if protectedPath(p) {
				return deny(fmt.Sprintf("stepgate: %s may not write %s: it holds the agent's hook settings, and changing them could switch stepgate off; denied", ev.Tool, p)).Write(agent, opts.Stdout, opts.Stderr)
			}
		}
		// Not a command: file edits, reads, searches and MCP tools are
		// left to the agent's own permissions (README "Agent hooks").
		return Answer{Verdict: Pass}.Write(agent, opts.Stdout, opts.Stderr)
	}
	timeout := cfg.timeout(agent)
	deadline := opts.Started.Add(Deadline(timeout))
	return ask(ctx, ev, deadline, timeout, opts).Write(agent, opts.Stdout, opts.Stderr)
}

func (c Config) timeout(a Agent) time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return AgentTimeout(a)
}

// ask runs the Asker against the deadline. The Asker stops waiting a little
// before it (so it can cancel the request on the App); the deadline itself
// is enforced here, whatever the Asker is doing.
func ask(ctx context.Context, ev Event, deadline time.Time, timeout time.Duration, opts Options) Answer {
	left := time.Until(deadline)
	if left <= 0 {
		return deny(fmt.Sprintf("stepgate: no time left before %s's hook timeout (%s); denied", ev.Agent, timeout))
	}
	wait := left - min(2*time.Second, left/4)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	began := time.Now()
	got := make(chan Answer, 1)
	go func() { got <- opts.Ask(ctx, ev, wait) }()
	timer := time.NewTimer(left)
	defer timer.Stop()
	select {
	case a := <-got:
		switch {
		case a.Verdict == Allow && time.Now().After(deadline):
			// Too late to be read as an answer: the agent may be gone.
			return deny("stepgate: the approval came after the hook's deadline; denied")
		case a.Verdict != Allow && time.Since(began) >= wait:
			// The Asker gave up waiting at its deadline (and cancelled
			// the request): say why in the agent's terms.
			return outOfTime(ev.Agent, time.Since(began), timeout)
		}
		return a
	case <-timer.C:
		return outOfTime(ev.Agent, time.Since(began), timeout)
	}
}

func outOfTime(agent Agent, waited, timeout time.Duration) Answer {
	return deny(fmt.Sprintf("stepgate: no decision within %s, before %s's hook timeout of %s (after which it would run the command unapproved); denied. To wait longer, raise the hook's timeout in the agent's settings and pass the same --timeout",
		waited.Round(time.Second), agent, timeout))
}

func deny(reason string) Answer { return Answer{Verdict: Deny, Reason: reason} }

// readEvent reads stdin until EOF, at most MaxEvent bytes, before deadline.
func readEvent(r io.Reader, deadline time.Time) ([]byte, error) {
	if r == nil {
		return nil, errors.New("no stdin")
	}
	type result struct {
		data []byte
		err  error
	}
	got := make(chan result, 1)
	go func() {
		data, err := io.ReadAll(io.LimitReader(r, MaxEvent+1))
		got <- result{data, err}
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case res := <-got:
		if res.err != nil {
			return nil, res.err
		}
		if len(res.data) > MaxEvent {
			return nil, fmt.Errorf("the event is larger than %d bytes", MaxEvent)
		}
		return res.data, nil
	case <-timer.C:
		return nil, errors.New("stdin was not closed before the hook's deadline")
	}
}
