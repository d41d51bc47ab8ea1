package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// explanations are the known reasons and plans for figures that miss their
// target on the reference machine, keyed by a prefix of the figure. The
// report prints them under every missed row, so a miss is never silent.
var explanations = map[string]string{
	"5,000 gates long-polling at once": `**Reason.** The App parks a waiting poll: it hijacks the HTTP/1.1
connection and hands it to one hub, which answers it (decision, pending at
the wait's end, or 503 at shutdown) and closes it. While 5,000 gates wait
that costs no goroutine per gate and a few KiB of heap each (see the mid-wait
Go runtime figures in the notes: a goroutine count near 5,000 or more means
polls are not being parked: HTTP/2, or STEPGATE_NO_PARKING). The peak resident
set is not the wait but the burst before it: 5,000 connections arriving at
once each hold a net/http goroutine (stack) and read/write buffers until the
handler parks them, and the GC counts those stacks toward its heap goal, so
the heap is allowed to grow and the pages stay resident. ` + "`stepgate serve`" + `
and the bench's App child therefore set a soft memory limit (memlimit.Default,
128 MiB) unless GOMEMLIMIT or STEPGATE_MEMORY_LIMIT says otherwise; the info
row runs the same bench with the limit off. A large heap with few goroutines
points at what a parked poll retains: take a heap profile of the bench's App
child with BENCH_HEAP_PROFILE=FILE.

**Plan.** Owner app/server: shrink the burst (parse the poll and park it
before net/http's buffered writer is allocated, or serve GETs ?wait= from a
small accept loop), and keep only the request id, deadline and connection
per parked poll.`,
	"DynamoDB calls per request lifecycle": `**Reason.** Two writes beyond the budget, each the price of a
soundness property, both measured per phase in the notes above:

- *No decision without its audit event* (issue #13). Without transactions
  (dynalite has no TransactWriteItems, and a transaction writing two items
  is two writes anyway), the event is stored on the request item in the
  decision's own conditional UpdateItem, appended to the hash chain
  (PutItem(AUDIT), a write the lifecycle pays anyway) and then removed from
  the request item (UpdateItem). Until that removal a crash leaves the event
  waiting on the request, where the sweeper seals it.
- *Store first, then announce* (issue #14). The request is stored before
  its check run and comment exist, so a click always finds its request, a
  failed write leaves nothing on GitHub, and no withdraw/adopt machinery or
  wait for a click that came too early is needed; the check run's and
  comment's ids then cost one UpdateItem of their own (before, they rode in
  the creating PutItem, and the request could be named on GitHub before it
  existed).

**Plan.** None that keeps both properties: the removal could ride in the
gate's SetResult only if SetResult could tell, without a read, that the
event was sealed, and the sealer can only say so with a write. Reads stay
at 4 and no path scans.`,
	"risk assessment, one core (20-command": `**Reason.** This corpus is heavier than gate/risk's own test corpus: a third of
it wraps commands in ` + "`sudo bash -c`" + `, ` + "`xargs sh -c`" + ` or ` + "`eval`" + `, whose inner
scripts are parsed again, and the loop runs with GOMAXPROCS=1 so garbage
collection is paid inline. gate/risk's own benchmark (next row) passes.

**Plan** (owner: gate/risk): profile the re-parse of nested shells (cache the
parser, avoid re-printing words before re-parsing).`,
	"decision propagation, two replicas": `**Reason.** The waiting replica learns of a decision taken on the other replica
by polling the store for recently decided requests (PollInterval, default
100 ms), so on average half an interval is added, plus dynalite's latency.

**Plan** (owner: app/server): poll faster only while gates wait (e.g. 25 ms;
the query is one indexed read per replica per interval, independent of the
number of waiting gates), or have the deciding replica notify its peers.`,
}

func explain(figure string) string {
	for k, v := range explanations {
		if strings.HasPrefix(figure, k) {
			return v
		}
	}
	return "no analysis recorded yet: see the notes column; rerun with -v for the App's logs"
}

func writeReport(path string, rows []row, machine string, took time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Measured by `go run ./bench -write BENCHMARKS.md` on %s UTC (full run: %s).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04"), took.Round(time.Second))
	fmt.Fprintf(&b, "Machine: %s.\n\n", machine)
	b.WriteString(intro)
	b.WriteString("| figure | target | measured | result | rerun |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` |\n", cell(r.Figure), cell(r.Target), cell(r.Measured), mark(r.Verdict), cell(r.Command))
	}
	b.WriteString("\n## Notes per figure\n\n")
	for _, r := range rows {
		if r.Notes != "" {
			fmt.Fprintf(&b, "- **%s**: %s\n", r.Figure, r.Notes)
		}
	}
	b.WriteString("\n## Targets missed\n\n")
	missed := false
	for _, r := range rows {
		if r.Verdict == "miss" || r.Verdict == "error" {
			missed = true
			fmt.Fprintf(&b, "### %s\n\nMeasured %s against %s.\n\n%s\n\n", r.Figure, r.Measured, r.Target, explain(r.Figure))
		}
	}
	if !missed {
		b.WriteString("None on this run.\n")
	}
	b.WriteString(method)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func mark(v string) string {
	switch v {
	case "pass":
		return "✅ pass"
	case "pass-cpu":
		return "✅ pass by CPU cost (observed rate below target: the machine was shared)"
	case "miss":
		return "❌ miss"
	case "error":
		return "⚠️ error"
	}
	return "ℹ️ " + v
}

const intro = `Every row of DESIGN.md's performance table, measured with real parts on
loopback: the App runs as a child process built by app/wiring from serve's
configuration, as ` + "`stepgate serve`" + ` builds it (app/server and app/lifecycle,
the real GitHub client against the GitHub stand-in, OIDC against a local
issuer; bolt with fsync on, or DynamoDB via dynalite), and gates are driven by
gate/action, the code behind ` + "`stepgate action`" + ` and ` + "`stepgate run`" + `. Rerun one
figure with ` + "`go run ./bench -only NAME`" + ` (names: propagation, replicas, polling,
fastpath, throughput, longpoll, hostile, risk, policy, dynamo, deployment), all of them with
` + "`go run ./bench -write BENCHMARKS.md`" + `. DynamoDB figures use
` + "`STEPGATE_TEST_DYNAMODB_ENDPOINT`" + ` when set, else start ` + "`node_modules/.bin/dynalite`" + `
(` + "`npm ci`" + ` first).

`

const method = `
## Method

- **Decision propagation**: a gated step (gate/action in the bench process,
  long-polling ` + "`GET /api/v1/requests/{id}?wait=30s`" + `) waits; 40 ms after its check
  run appears, the stand-in delivers bob's signed ` + "`check_run requested_action`" + `
  Approve webhook. Latency runs from the moment that webhook is sent to the
  command's first output (bash has started and run ` + "`echo`" + `), so it includes the
  App's re-check of the approver against GitHub (permission, team) and the
  store's conditional write. Steps run one after another, N=200.
  With two replicas, the gate waits on replica A, the webhook goes to
  replica B, both share one DynamoDB table; A learns of the decision by
  polling the store (default every 100 ms).
- **Polling reference**: 12 clients poll ` + "`GET /api/v1/requests/{id}`" + ` every 10 s
  with random phase; latency runs from the accepted click to the poll that
  sees the decision.
- **GitHub calls** come from the stand-in's call log (every API request the App
  made, including installation-token requests and policy-file reads).
- **Throughput**: the App child has GOMAXPROCS=2; the load generator runs in
  the bench process on the same 2-core machine, so the App gets less than 2
  full cores. Tokens are pre-minted (RS256), every call verifies one.
- **5,000 long polls**: one client process, 5,000 goroutines and
  connections; RLIMIT_NOFILE raised to the hard limit (inherited by the App).
  RSS is VmHWM/VmRSS of the App child from /proc/PID/status.
- **Hostile load**: the App child as for throughput; a separate attacker
  process (this executable, BENCH_ATTACK_ADDR set) runs 64 clients pushing
  unsigned 5 MiB issue_comment bodies back to back and 8,000 connections
  trickling 60 KB bodies (100 bytes every 500 ms, reconnecting at once when
  dropped). After 3 s, for 20 s, a probe every 250 ms creates a request with
  a gate token, approves it with a signed check_run click and reads the
  decision; each call must be answered within 1 s. The same probes run for
  5 s before the attack. RSS is the App child's VmHWM over the attack.
  BENCH_HOSTILE_PUSHERS / BENCH_HOSTILE_TRICKLERS run one attack alone.
- **Risk** and **policy** run the engines' own ` + "`go test -bench`" + ` benchmarks
  (command in the row), plus a corpus loop for risk.
- **DynamoDB**: a counting wrapper around the SDK client inside the App child
  counts every call by operation (Query by index); reads are GetItem and
  Query, writes PutItem, UpdateItem and DeleteItem.

## Reliability tests (not timed; run in CI by scripts/test.sh)

- ` + "`go test ./test/faults`" + `: the App SIGKILLed mid-wait and restarted on the same
  bolt file and port (decision delivered, command run once); the store
  (dynalite in its on-disk mode) stopped and restarted (503 with a JSON error,
  the gate fails closed, nothing lost); GitHub answering 502, 403 rate limits,
  429 and secondary limits (retried with back-off honouring retry-after, and
  a request whose check run could not be opened is kept and opened later);
  one click redelivered 100× at once (processed once); two reviewers
  approving at once on two replicas sharing one DynamoDB table.
- ` + "`go test ./test/hostile`" + `: oversized, malformed, mis-typed gate API bodies;
  bidi, homoglyph, NUL, markdown/HTML-breakout and deeply nested commands;
  malformed, huge and alias-bomb policy files; hostile webhook deliveries and
  look-alike comment commands — each answered clearly, and the App serves
  normally afterwards.
- ` + "`go test -fuzz FuzzGateAPI ./app/server`" + `, ` + "`-fuzz FuzzWebhook`" + `: the gate API decoder
  and the webhook handler under arbitrary input.
`
