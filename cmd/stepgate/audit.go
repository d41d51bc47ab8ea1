package main

import (
	"context"
	"fmt"
	"io"
)

// runAudit is replaced by the real subcommand; placeholder while it is built.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "stepgate: not built yet")
	return 2
}

// runStore is replaced by the real subcommand; placeholder while it is built.
func runStore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "stepgate: not built yet")
	return 2
}
