package main

import (
	"context"
	"fmt"
	"io"
)

// runServe is replaced by the real subcommand; placeholder while it is built.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "stepgate: not built yet")
	return 2
}
