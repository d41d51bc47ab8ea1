package main

import (
	"context"
	"fmt"
)

// benchRedact runs gate/redact's benchmarks: the structure-preserving
// redaction of a typical deployment command, and the one-time cost a gate
// process pays on its first redaction (gitleaks' rules readied, the rules
// its keywords hit compiled). DESIGN.md sets no target; both sit on the
// allowed fast path.
func benchRedact(ctx context.Context, e *env) ([]row, error) {
	res, line, err := runGoBench(ctx, "./gate/redact/", "Command|GitleaksFirstUse")
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, b := range res {
		rows = append(rows, row{Figure: "redaction: " + b.name, Target: "(no target; on the fast path)",
			Measured: fmt.Sprintf("%.0f µs/op", b.metrics["ns/op"]/1000), Verdict: "info", Command: line,
			Notes: "Command: one 4-line helm/curl command through redact.Command (parse, detect per word, re-parse, shape check); FirstUse: preparing gitleaks' ~220 rules and compiling those a command's keywords hit"})
	}
	return rows, nil
}
