package main

import (
	"context"
	"fmt"
	"io"
)

// runDemo is replaced by the real subcommand; placeholder while it is built.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "stepgate: not built yet")
	return 2
}
