package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
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
	app, err := benchrig.StartApp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer app.Stop()
	e.world.Standin.SetWebhookTarget(app.URL + "/webhook")
	c := &apiClient{base: app.URL, http: &http.Client{Timeout: time.Minute}}
	// Warm-up: JWKS, installation token, policy file, audit chain head.
	if _, err := lifecycle(ctx, e, app, c, 0); err != nil {
		return nil, err
	}
	const k = 5
	total := make([]benchrig.DynamoOps, 4)
	for i := range k {
		ph, err := lifecycle(ctx, e, app, c, i+1)
		if err != nil {
			return nil, err
		}
		for j := range ph {
			total[j] = addOps(total[j], ph[j])
		}
	}
	all := benchrig.DynamoOps{}
	var phases []string
	for j, name := range []string{"create", "long poll starts", "approve click + the waiting poll's answer", "result"} {
		all = addOps(all, total[j])
		phases = append(phases, name+": "+opsString(total[j], k))
	}
	reads, writes, scans := classify(all)
	rr, wr := float64(reads)/k, float64(writes)/k
	rows := []row{{
		Figure: "DynamoDB calls per request lifecycle (needs review → approved → executed)", Target: "≤ 4 reads, ≤ 6 writes, no scans",
		Measured: fmt.Sprintf("%.1f reads, %.1f writes, %d scans", rr, wr, scans),
		Verdict:  verdict(rr <= 4 && wr <= 6 && scans == 0), Command: "go run ./bench -only dynamo",
		Notes: fmt.Sprintf("average of %d lifecycles through the gate API on dynalite (background loops off); by phase — %s",
			k, strings.Join(phases, "; ")),
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
	app, err := benchrig.StartApp(ctx, cfg)
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

// lifecycle drives one request through the gate API as the gate would and
// returns the DynamoDB calls of each phase.
func lifecycle(ctx context.Context, e *env, app *benchrig.App, c *apiClient, i int) ([]benchrig.DynamoOps, error) {
	tok, err := e.world.Token(e.nextRun(), app.URL)
	if err != nil {
		return nil, err
	}
	var phases []benchrig.DynamoOps
	last, err := app.DynamoOps()
	if err != nil {
		return nil, err
	}
	mark := func() error {
		now, err := app.DynamoOps()
		phases = append(phases, now.Sub(last))
		last = now
		return err
	}
	code, v, err := c.do(ctx, "POST", "/api/v1/requests", tok, benchrig.CreateBody(fmt.Sprintf("./migrate.sh --life %d", i), "life"))
	if err != nil || code != http.StatusCreated {
		return nil, fmt.Errorf("lifecycle create: %d %v", code, err)
	}
	cr, err := e.world.CheckRun(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	if err := mark(); err != nil {
		return nil, err
	}
	got := make(chan gate.RequestView, 1)
	go func() {
		_, v, _ := c.do(ctx, "GET", "/api/v1/requests/"+v.ID+"?wait=30s", tok, nil)
		got <- v
	}()
	time.Sleep(200 * time.Millisecond)
	if err := mark(); err != nil {
		return nil, err
	}
	if _, err := e.world.Standin.ClickAction(benchrig.Repo, cr, "approve", benchrig.Reviewer); err != nil {
		return nil, err
	}
	if d := <-got; d.Status != gate.StatusApproved {
		return nil, fmt.Errorf("lifecycle: status %q after the click", d.Status)
	}
	if err := mark(); err != nil {
		return nil, err
	}
	code, _, err = c.do(ctx, "POST", "/api/v1/requests/"+v.ID+"/result", tok, gate.ResultReport{ExitCode: 0, DurationMS: 5})
	if err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("lifecycle result: %d %v", code, err)
	}
	return phases, mark()
}

func addOps(a, b benchrig.DynamoOps) benchrig.DynamoOps {
	out := benchrig.DynamoOps{}
	for k, v := range a {
		out[k] += v
	}
	for k, v := range b {
		out[k] += v
	}
	return out
}

func classify(d benchrig.DynamoOps) (reads, writes, scans int64) {
	for op, n := range d {
		switch {
		case op == "Scan":
			scans += n
			reads += n
		case strings.HasPrefix(op, "GetItem") || strings.HasPrefix(op, "Query"):
			reads += n
		case strings.HasPrefix(op, "PutItem") || strings.HasPrefix(op, "UpdateItem") || strings.HasPrefix(op, "DeleteItem"):
			writes += n
		}
	}
	return reads, writes, scans
}

func opsString(d benchrig.DynamoOps, k int) string {
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
