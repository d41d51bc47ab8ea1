package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/stepgate/stepgate/gate/action"
	"github.com/stepgate/stepgate/gate/hook"
	"github.com/stepgate/stepgate/gate/risk"
)

const hookUsage = `Usage: stepgate hook [--agent claude|codex|copilot|gemini] [flags] < EVENT

A pre-tool-use hook for AI coding agents running in a GitHub Actions job.
The agent starts it for each tool call and writes the call to stdin as
JSON, in its documented hook format:

  claude   Claude Code      PreToolUse      tool Bash
  codex    OpenAI Codex     PreToolUse      tool Bash
  copilot  GitHub Copilot   preToolUse      tool bash (also powershell; the
           CLI or cloud agent               VS Code-style PreToolUse too)
  gemini   Gemini CLI       BeforeTool      tool run_shell_command

A shell command becomes a stepgate request (source "agent", with the agent,
its session and tool call id), decided like a step's command: policy,
remembered commands, reviewers on the run's pull request, freeze. The
approval is bound to the exact command text and the working directory the
event names; stepgate never rewrites the command. The answer uses the
agent's protocol:

  allow  exit 0 (Claude/Copilot/Gemini: permissionDecision or decision
         "allow" on stdout; Codex: no output)
  deny   exit 2, the reason on stderr, and the agent's deny JSON on stdout

Only "allowed" and "approved" allow. Everything else denies with a one-line
reason the agent can show: denied by policy, rejected, expired, frozen,
over the policy's defaults.agent.max_commands_per_minute, App or OIDC token
unreachable, unparseable event, unknown tool format.

Other tools (file edits, reads, searches, web, MCP) pass through: exit 0
with no decision, so the agent's own permission settings apply.

Agents let a tool call through when a hook outlives its timeout, so
stepgate answers deny before it: at --timeout minus a margin (a tenth of
it, 3 s to 30 s). Set --timeout to the timeout you gave the hook in the
agent's settings; without it the agent's documented default is assumed
(claude 600s, codex 600s, copilot 30s, gemini 60s).

The job needs "permissions: id-token: write": the hook authenticates with
the job's OIDC token (audience = --server), like stepgate run.

Flags:
`

// runHook implements "stepgate hook".
func runHook(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	started := time.Now()
	fs := flag.NewFlagSet("stepgate hook", flag.ContinueOnError)
	// stdout and stderr are the agent's: a parse error must become one
	// deny line, not a usage text.
	fs.SetOutput(io.Discard)
	agentName := fs.String("agent", "", "the agent whose protocol to speak: claude, codex, copilot or gemini (default: detect from the event)")
	server := fs.String("server", os.Getenv("STEPGATE_SERVER"), "URL of the stepgate App (default $STEPGATE_SERVER); also the OIDC audience")
	environment := fs.String("environment", os.Getenv("STEPGATE_ENVIRONMENT"), "deployment environment the policy matches on (default $STEPGATE_ENVIRONMENT)")
	timeout := fs.Duration("timeout", 0, "the agent's hook timeout as configured (e.g. 600s); stepgate answers deny before it (default: the agent's documented default)")
	logFile := fs.String("log", os.Getenv("STEPGATE_HOOK_LOG"), "append the gate's progress log to this file (default $STEPGATE_HOOK_LOG; none)")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, hookUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fmt.Fprint(stdout, hookExample)
			return 0
		}
		// A broken hook command line must still answer deny in a form the
		// agent reads as a block.
		return hook.Answer{Verdict: hook.Deny, Reason: "stepgate hook: " + err.Error() + "; denied"}.Write("", stdout, stderr)
	}
	agent, err := hook.ParseAgent(*agentName)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments %q: the event comes on stdin", fs.Args())
	}
	if err != nil {
		return hook.Answer{Verdict: hook.Deny, Reason: "stepgate hook: " + err.Error() + "; denied"}.Write(agent, stdout, stderr)
	}
	logw := io.Discard
	if *logFile != "" {
		if f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
			defer f.Close()
			logw = f
		}
	}
	ask := hook.AppAsker(hook.AppConfig{Server: *server, Environment: *environment}, action.Options{
		Stderr: logw,
		Stdout: io.Discard,
		Assess: func(c string) action.Risk {
			a := risk.Assess(c)
			return action.Risk{Level: a.Level.String(), Score: a.Score, Reasons: a.Reasons}
		},
	})
	return hook.Run(ctx, hook.Config{Agent: agent, Timeout: *timeout}, hook.Options{
		Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Ask: ask, Started: started,
	})
}

const hookExample = `
Example: Claude Code in a workflow (.claude/settings.json, committed):
  {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command",
    "command": "stepgate hook --agent claude --timeout 600s", "timeout": 600}]}]}}
See the README section "Agent hooks" for Codex, Copilot and Gemini CLI, and
for what the hook does not protect against.
`
