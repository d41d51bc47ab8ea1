package main

import (
	"context"
	"fmt"
	"io"
)

// runAction is replaced by the real subcommand; placeholder while it is built.
func runAction(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "stepgate: not built yet")
	return 2
}

// runRun is replaced by the real subcommand; placeholder while it is built.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "stepgate: not built yet")
	return 2
}
