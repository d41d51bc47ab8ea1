package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stepgate/stepgate/bench/rig"
)

// benchDynamo counts DynamoDB calls (a counting wrapper around the SDK
// client inside the App child) around one full lifecycle through the App:
// create (needs review) → check run → Approve click (webhook) → the gate's
// long poll sees approved → the command runs → result reported. The App's
// background loops are slowed to 1 h so only request-path calls count; a
// second App with the default intervals shows what they cost.
func benchDynamo(ctx context.Context, e *env) ([]row, error) {
	ep, err := e.dynamoEndpoint()
	if err != nil {
		return nil, err
	}
	cfg := e.world.AppConfig(fmt.Sprintf("dynamodb:stepgate-bench-life-%d", time.Now().UnixNano()))
	cfg.DynamoEndpoint, cfg.Log = ep, logWriter(e.verbose)
	cfg.PollInterval, cfg.SweepInterval = time.Hour, time.Hour
	app, err := rig.StartApp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer app.Stop()
	// Warm-up: JWKS, installation token, policy file, audit chain head.
	if _, err := measureDecisions(ctx, e, app, app.URL+"/webhook", 1); err != nil {
		return nil, err
	}
	const k = 5
	before, err := app.DynamoOps()
	if err != nil {
		return nil, err
	}
	if _, err := measureDecisions(ctx, e, app, app.URL+"/webhook", k); err != nil {
		return nil, err
	}
	after, err := app.DynamoOps()
	if err != nil {
		return nil, err
	}
	d := after.Sub(before)
	reads, writes, scans := classify(d)
	rr, wr := float64(reads)/k, float64(writes)/k
	rows := []row{{
		Figure: "DynamoDB calls per request lifecycle (needs review → approved → executed)", Target: "≤ 4 reads, ≤ 6 writes, no scans",
		Measured: fmt.Sprintf("%.1f reads, %.1f writes, %d scans", rr, wr, scans),
		Verdict:  verdict(rr <= 4 && wr <= 6 && scans == 0), Command: "go run ./bench -only dynamo",
		Notes: fmt.Sprintf("average of %d lifecycles on dynalite, by call: %s (includes the webhook's delivery record and the audit events)", k, opsString(d, k)),
	}}
	bg, err := backgroundOps(ctx, e, ep)
	if err != nil {
		return rows, err
	}
	return append(rows, bg), nil
}

// backgroundOps measures the default-interval App's own loops over 10 s
// with no gate waiting.
func backgroundOps(ctx context.Context, e *env, ep string) (row, error) {
	cfg := e.world.AppConfig(fmt.Sprintf("dynamodb:stepgate-bench-bg-%d", time.Now().UnixNano()))
	cfg.DynamoEndpoint, cfg.Log = ep, logWriter(e.verbose)
	app, err := rig.StartApp(ctx, cfg)
	if err != nil {
		return row{}, err
	}
	defer app.Stop()
	before, err := app.DynamoOps()
	if err != nil {
		return row{}, err
	}
	time.Sleep(10 * time.Second)
	after, err := app.DynamoOps()
	if err != nil {
		return row{}, err
	}
	d := after.Sub(before)
	reads, writes, scans := classify(d)
	return row{Figure: "DynamoDB background calls per replica (sweeper, cross-replica poller), idle", Target: "no scans",
		Measured: fmt.Sprintf("%.1f reads/s, %.1f writes/s, %d scans", float64(reads)/10, float64(writes)/10, scans),
		Verdict:  verdict(scans == 0), Command: "go run ./bench -only dynamo",
		Notes: "per replica, independent of the number of waiting gates; by call over 10 s: " + opsString(d, 1)}, nil
}

func classify(d rig.DynamoOps) (reads, writes, scans int64) {
	for op, n := range d {
		switch {
		case op == "Scan":
			scans += n
			reads += n
		case op == "GetItem" || strings.HasPrefix(op, "Query"):
			reads += n
		case op == "PutItem" || op == "UpdateItem" || op == "DeleteItem":
			writes += n
		}
	}
	return reads, writes, scans
}

func opsString(d rig.DynamoOps, k int) string {
	var keys []string
	for op := range d {
		keys = append(keys, op)
	}
	sort.Strings(keys)
	var parts []string
	for _, op := range keys {
		parts = append(parts, fmt.Sprintf("%s %.1f", op, float64(d[op])/float64(k)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
