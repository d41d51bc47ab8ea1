// Command stepgate puts a human approval gate in front of individual commands
// in GitHub Actions workflows. One binary serves every part: the App
// (`serve`), the container action (`action`), host mode (`run`), and the
// tools around them (`risk`, `policy`, `audit`, `store`, `demo`).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run returns the process exit status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"serve":  {"run the GitHub App: webhooks, the gate API, metrics", runServe},
		"action": {"container action entrypoint: read INPUT_* and gate the command", runAction},
		"run":    {"gate a command from any shell step (host mode)", runRun},
		"risk":   {"print the risk assessment of a shell command", runRisk},
		"policy": {"check a policy file, or test which rule matches a command", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runPolicy(ctx, args, stdout, stderr, nil) // gate/decide assesses, as the App does
		}},
		"audit": {"export (and verify) the audit trail", runAudit},
		"store": {"manage the store (create the DynamoDB table)", runStore},
		"demo":  {"the whole flow on this machine, with a local GitHub stand-in", runDemo},
		"hook":  {"gate an AI coding agent's shell commands (its pre-tool-use hook)", runHook},
		"app":   {"create the GitHub App (manifest flow from a local page)", runApp},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout, cmds)
		return 0
	case "version", "--version":
		fmt.Fprintln(stdout, "stepgate", version)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "stepgate: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprint(w, `stepgate: per-command human approval for GitHub Actions.

Usage:
  stepgate <command> [flags] [args]

Commands:
`)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprint(w, `
Run "stepgate <command> --help" for a command's flags.
Quick start: "stepgate demo" runs the whole flow on this machine.
`)
}
