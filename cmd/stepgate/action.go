package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-githubactions"

	"github.com/stepgate/stepgate/gate/action"
	"github.com/stepgate/stepgate/gate/risk"
)

// runAction is the container action's entrypoint: inputs come from INPUT_*.
func runAction(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, "Usage: stepgate action\n\nThe container action's entrypoint: reads the action inputs (INPUT_RUN, INPUT_SERVER, …)\nfrom the environment the runner sets, gates the command and runs it.\nFrom a shell step, use \"stepgate run --help\" instead.")
		return 0
	}
	gh := githubactions.New(githubactions.WithGetenv(os.Getenv), githubactions.WithWriter(stderr))
	// The inputs come from INPUT_*, never argv. A repeated "action" (an
	// action.yml with args: [action] on top of the image's ENTRYPOINT) is
	// harmless; anything else is a mistake worth stopping for.
	if len(args) > 0 && !(len(args) == 1 && args[0] == "action") {
		gh.Errorf("stepgate action takes no arguments (got %q): inputs come from INPUT_* (the action's with:)", args)
		return action.ExitUsage
	}
	cfg, err := action.ConfigFromInputs(gh.GetInput)
	if err != nil {
		gh.Errorf("stepgate: %v", err)
		return action.ExitUsage
	}
	return gateAndRun(ctx, cfg, stdout, stderr)
}

// runRun is host mode: the same gate from any shell step, configured by flags.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := action.ParseFlags(args, os.Getenv, stdout, stderr)
	if errors.Is(err, action.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepgate run: %v\n(see stepgate run --help)\n", err)
		return action.ExitUsage
	}
	return gateAndRun(ctx, cfg, stdout, stderr)
}

func gateAndRun(ctx context.Context, cfg action.Config, stdout, stderr io.Writer) int {
	// main cancels ctx on SIGINT/SIGTERM; the gate also needs the signals
	// themselves to forward them to the running command as they came.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	g := action.New(cfg, action.Options{
		Stdin:   os.Stdin,
		Stdout:  stdout,
		Stderr:  stderr,
		Signals: sigs,
		Assess: func(c string) action.Risk {
			a := risk.Assess(c)
			return action.Risk{Level: a.Level.String(), Score: a.Score, Reasons: a.Reasons}
		},
	})
	return g.Run(ctx)
}
