package hook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/action"
)

// AppConfig is how the hook reaches the App.
type AppConfig struct {
	Server      string // the App's URL (--server, STEPGATE_SERVER); also the OIDC audience
	Environment string // deployment environment the policy matches on
}

// AppAsker asks the stepgate App through gate/action: the job's OIDC token,
// the same request and binding as a step's (command, shell and working
// directory), retries, long-poll and fail-closed handling. opts are
// gate/action's; its log goes to opts.Stderr, which should not be the
// agent's stderr (agents read that as the deny reason).
func AppAsker(cfg AppConfig, opts action.Options) Asker {
	return func(ctx context.Context, ev Event, wait time.Duration) Answer {
		if cfg.Server == "" {
			return deny("stepgate: no App URL: pass --server or set STEPGATE_SERVER; denied")
		}
		if wait < time.Second {
			return deny("stepgate: too little time left to ask the App; denied")
		}
		ac := action.Config{
			Command:          ev.Command,
			Server:           cfg.Server,
			Environment:      cfg.Environment,
			Reason:           fmt.Sprintf("%s tool call %s (session %s)", ev.Agent, ev.ToolCallID, orNone(ev.Session)),
			Timeout:          wait,
			Shell:            ev.ShellName,
			WorkingDirectory: ev.Cwd,
		}
		if err := ac.Validate(); err != nil {
			return deny(fmt.Sprintf("stepgate: %v; denied", err))
		}
		d := action.New(ac, opts).Ask(ctx, action.Origin{
			Source: gate.SourceAgent, Agent: string(ev.Agent),
			Session: ev.Session, ToolCallID: ev.ToolCallID,
			Step: stepKey(opts.Getenv, ev),
		})
		if d.Runnable {
			return Answer{Verdict: Allow, Reason: "stepgate: " + d.Reason}
		}
		why := d.Reason
		if why == "" {
			why = fmt.Sprintf("the App answered %q", d.Status)
		}
		// The step's wording ("Nothing was run") becomes the agent's.
		for _, s := range []string{". Nothing was run (stepgate fails closed)", ". Nothing was run"} {
			why = strings.TrimSuffix(why, s)
		}
		return deny("stepgate: " + why + "; denied")
	}
}

// stepKey is the request's step, part of its idempotency key: the workflow
// step the agent runs in and the tool call (session and id hashed), so that
// each call is its own request and a repeated hook for the same call finds
// the same one.
func stepKey(getenv func(string) string, ev Event) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	step := getenv("GITHUB_ACTION")
	sum := sha256.Sum256([]byte(string(ev.Agent) + "\x00" + ev.Session + "\x00" + ev.ToolCallID))
	call := fmt.Sprintf("%s tool call %s", ev.Agent, hex.EncodeToString(sum[:6]))
	if step == "" {
		return call
	}
	// The step shows in the check run's name: "stepgate: claude · claude tool call 1a2b3c4d5e6f".
	return fmt.Sprintf("%.100s · %s", step, call)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
