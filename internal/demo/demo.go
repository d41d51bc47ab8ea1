// Package demo runs stepgate's whole approval flow on one machine, with no
// accounts and nothing to install: a local GitHub stand-in, a local OIDC
// issuer playing the Actions token service, the real App (built by
// app/wiring as `stepgate serve` builds it, with an embedded bolt store and
// the real GitHub client pointed at the stand-in),
// and a scripted workflow run whose steps go through the real gate
// (gate/action, the code behind `stepgate action` and `stepgate run`).
//
// Interactively a human approves or rejects from the stand-in's page or the
// terminal; with Auto the demo plays the reviewers itself and checks every
// outcome. Every command the gate lets through is a harmless stand-in that
// only prints.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// Options configure Run.
type Options struct {
	// Auto plays the reviewers and checks every outcome.
	Auto   bool
	Stdout io.Writer
	// Stdin carries the interactive reviewer's a/m/r answers (nil: only the
	// stand-in's page can decide).
	Stdin io.Reader
	// Logger receives the components' own logs (default: discarded, the
	// demo prints its own story).
	Logger *slog.Logger
	// KeepDir leaves the temp directory (store, workspace, step outputs)
	// for inspection.
	KeepDir bool
	// TempRoot is where the temp directory is made (default os.TempDir()).
	TempRoot string
}

// ErrFailed is returned when Auto saw an outcome that was not the expected
// one; the details were printed.
var ErrFailed = errors.New("demo: some outcomes were not as expected")

// Run starts everything, runs the scripted deployment and stops everything
// again, also when ctx is cancelled. It removes its temp directory.
func Run(ctx context.Context, opts Options) error {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	out := &console{w: opts.Stdout}
	dir, err := os.MkdirTemp(opts.TempRoot, "stepgate-demo-")
	if err != nil {
		return fmt.Errorf("demo: temp dir: %w", err)
	}
	if !opts.KeepDir {
		defer os.RemoveAll(dir)
	}
	started := time.Now()
	w, err := startWorld(ctx, dir, opts.Logger)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer w.close()
	if err := w.prepareRunner(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	w.intro(out, opts, dir, time.Since(started))
	sess := &session{w: w, out: out, auto: opts.Auto, answers: readAnswers(opts.Stdin)}
	failures := sess.play(ctx)
	if err := ctx.Err(); err != nil {
		out.printf("\ninterrupted: stopped the App, the stand-in and the issuer")
		if !opts.KeepDir {
			out.printf(", removed %s", dir)
		}
		out.printf(".\n")
		return err
	}
	return sess.summary(failures, opts, dir)
}

func (w *world) intro(out *console, opts Options, dir string, took time.Duration) {
	out.printf("stepgate demo: per-command approval for GitHub Actions, all on this machine.\n\n")
	out.printf("  started in %s, all on 127.0.0.1:\n", took.Round(time.Millisecond))
	out.printf("    GitHub stand-in  %s   reviewer page: %s\n", w.standin.URL(), w.pageURL())
	out.printf("    OIDC issuer      %s   (plays the Actions token service)\n", w.issuer.URL())
	out.printf("    stepgate App     %s   (store: %s)\n", w.appURL, dir+"/stepgate.db")
	out.printf("  repository %s, PR #%d by %s (the workflow's actor, so she cannot approve)\n", repoName, prNumber, actor)
	out.printf("  reviewers: %s (team acme/sre), %s (maintain); %s can only read\n", reviewer, maintainer, bystander)
	out.printf("  policy .github/stepgate.yml on the default branch:\n")
	io.WriteString(out.indent("    | "), policyYAML)
	if opts.Auto {
		out.printf("\n  --auto: the demo plays the reviewers and checks every outcome.\n")
	} else {
		out.printf("\n  You are the reviewer: when a step waits, open the page above and click as %s or %s,\n", reviewer, maintainer)
		out.printf("  or type here: a = approve, m = approve & remember, r = reject (then Enter).\n")
	}
}

func (s *session) summary(failures []string, opts Options, dir string) error {
	if opts.KeepDir {
		s.out.printf("\nkept %s (store, workspace, step outputs and job summaries)\n", dir)
	}
	if !opts.Auto {
		s.out.printf("\ndone. Run `stepgate demo --auto` to have the demo play the reviewers and check every outcome.\n")
		return nil
	}
	if len(failures) == 0 {
		s.out.printf("\nall %d checks passed.\n", s.checks)
		return nil
	}
	s.out.printf("\n%d of %d checks FAILED:\n", len(failures), s.checks)
	for _, f := range failures {
		s.out.printf("  - %s\n", f)
	}
	return ErrFailed
}
