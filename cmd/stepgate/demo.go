package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/stepgate/stepgate/internal/demo"
)

// runDemo runs the whole flow on this machine (internal/demo).
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stepgate demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	auto := fs.Bool("auto", false, "play the reviewers and check every outcome; exit 0 only if all were right")
	keep := fs.Bool("keep", false, "keep the temp directory (store, workspace, step outputs, job summaries)")
	verbose := fs.Bool("verbose", false, "also print the App's and the stand-in's logs (JSON, to stderr)")
	fs.Usage = func() { demoUsage(fs, stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "stepgate demo: unexpected argument %q (see stepgate demo --help)\n", fs.Arg(0))
		return 2
	}
	opts := demo.Options{Auto: *auto, Stdout: stdout, KeepDir: *keep}
	if !*auto {
		opts.Stdin = os.Stdin
	}
	if *verbose {
		opts.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	err := demo.Run(ctx, opts)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		return 130
	case errors.Is(err, demo.ErrFailed):
		return 1
	default:
		fmt.Fprintf(stderr, "stepgate demo: %v\n", err)
		return 1
	}
}

func demoUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `Usage: stepgate demo [--auto] [--keep] [--verbose]

Runs the whole stepgate flow on this machine, with no accounts and nothing
to install. It starts, all on 127.0.0.1 with free ports:
  - a GitHub stand-in (repositories, check runs, comments, signed webhooks)
    with a reviewer page where you click Approve / Reject,
  - a local OIDC issuer playing GitHub's Actions token service,
  - the real stepgate App with an embedded store in a temp directory,
and then gates the steps of a scripted deployment of the repository
acme/shop (PR #7, run by alice) through the real gate code:
  1. kubectl get pods         read-only: allowed by policy at once
  2. ./bin/migrate ... up     waits for a reviewer (alice's own click does not count)
  3. kubectl delete namespace waits; a reviewer rejects it, nothing runs
  4. terraform destroy        denied by policy, nobody is asked
  5. ./deploy.sh ...          approved with "Approve & remember"
  6. ./deploy.sh ... again    remembered: allowed at once, no GitHub call
The tools are harmless stand-ins that only print.

Interactive (default): when a step waits, click on the reviewer page, or
type a (approve), m (approve & remember) or r (reject) and Enter.
With --auto the demo plays the reviewers, checks every status, exit code,
approver and GitHub call, prints what was wrong and exits 1 if anything
was. Ctrl-C stops everything and removes the temp directory.

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
