package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/stores"
	"github.com/stepgate/stepgate/gate"
)

const auditUsage = `Usage:
  stepgate audit export [--repo OWNER/REPO] [--since T] [--format jsonl|csv] [--verify] [--store SPEC]

Writes the audit trail (requests, approvals, rejections, decisions,
executions, freezes) to stdout, repository by repository in chain order.

  --repo OWNER/REPO   only this repository (default: all)
  --since T           only events at or after T: RFC 3339 (2026-03-01T00:00:00Z)
                      or a duration back from now (24h, 90m, 30d)
  --format F          jsonl (default: one JSON event per line) or csv
  --verify            also check every exported repository's hash chain from
                      its first event; on a break, name the repository, the
                      first broken event's seq and why, and exit 1
  --store SPEC        bolt:PATH or dynamodb:TABLE (default: $STEPGATE_STORE,
                      else bolt:stepgate.db). A bolt file is locked while the
                      App runs: stop it or export from a copy.

Exit status: 0 ok, 1 broken chain or store error, 2 usage error.
`

const storeUsage = `Usage:
  stepgate store init [--store dynamodb:TABLE]

Creates the DynamoDB table with its indexes (on-demand billing), waits until
it is ACTIVE and turns on TTL deletion on the "ttl" attribute. An existing
table is left as it is. Credentials, region and endpoint come from the AWS
SDK's own chain (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, the
instance role ...). For bolt:PATH it creates the file.

  --store SPEC   default: $STEPGATE_STORE, else bolt:stepgate.db

Exit status: 0 ok, 1 store error, 2 usage error.
`

// runAudit is `stepgate audit`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	switch args[0] {
	case "export":
		return auditExport(ctx, args[1:], os.Getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, auditUsage)
		return 0
	}
	fmt.Fprintf(stderr, "stepgate audit: unknown subcommand %q\n\n%s", args[0], auditUsage)
	return 2
}

// runStore is `stepgate store`.
func runStore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, storeUsage)
		return 2
	}
	switch args[0] {
	case "init":
		return storeInit(ctx, args[1:], os.Getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, storeUsage)
		return 0
	}
	fmt.Fprintf(stderr, "stepgate store: unknown subcommand %q\n\n%s", args[0], storeUsage)
	return 2
}

// parseFlags parses a subcommand's flags; ok false means return code.
func parseFlags(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {} // help goes to stdout, usage after an error to stderr
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0, false
	case err != nil:
		fmt.Fprintf(stderr, "\n%s", usage)
		return 2, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n\n%s", fs.Name(), fs.Arg(0), usage)
		return 2, false
	}
	return 0, true
}

func auditExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stepgate audit export", flag.ContinueOnError)
	repo := fs.String("repo", "", "only this repository")
	sinceFlag := fs.String("since", "", "RFC 3339 time or a duration back from now")
	format := fs.String("format", "jsonl", "jsonl or csv")
	verify := fs.Bool("verify", false, "check the hash chains")
	spec := fs.String("store", getenv("STEPGATE_STORE"), "bolt:PATH or dynamodb:TABLE")
	if code, ok := parseFlags(fs, auditUsage, args, stdout, stderr); !ok {
		return code
	}
	since, err := parseSince(*sinceFlag, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "stepgate audit export: --since: %v\n", err)
		return 2
	}
	write, ok := map[string]func(io.Writer, []gate.AuditEvent) error{"jsonl": writeJSONL, "csv": writeCSV}[*format]
	if !ok {
		fmt.Fprintf(stderr, "stepgate audit export: --format %q: want jsonl or csv\n", *format)
		return 2
	}
	if _, err := stores.ParseSpec(*spec); err != nil {
		fmt.Fprintf(stderr, "stepgate audit export: %v\n", err)
		return 2
	}
	s, err := stores.Open(ctx, *spec)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate audit export: %v\n", err)
		return 1
	}
	defer s.Close()
	events, err := s.ListAudit(ctx, *repo, since)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate audit export: %v\n", err)
		return 1
	}
	if err := write(stdout, events); err != nil {
		fmt.Fprintf(stderr, "stepgate audit export: writing: %v\n", err)
		return 1
	}
	if !*verify {
		return 0
	}
	return verifyChains(ctx, s, *repo, stderr)
}

func verifyChains(ctx context.Context, s store.Store, repo string, stderr io.Writer) int {
	broken, err := store.VerifyAudit(ctx, s, repo)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate audit export: verify: %v\n", err)
		return 1
	}
	for _, b := range broken {
		fmt.Fprintf(stderr, "stepgate audit export: verify: %s: first broken event seq %d: %s\n", b.Repo, b.Seq, b.Reason)
	}
	if len(broken) > 0 {
		return 1
	}
	fmt.Fprintln(stderr, "stepgate audit export: verify: every hash chain is intact")
	return 0
}

// parseSince accepts RFC 3339 or a duration back from now; Go durations
// plus whole days ("30d"), since audit windows are usually days.
func parseSince(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration like 24h or 30d", v)
	}
	return now.Add(-d), nil
}

func writeJSONL(w io.Writer, events []gate.AuditEvent) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}

var csvHeader = []string{"repo", "seq", "at", "type", "request_id", "actor", "channel", "details", "prev_hash", "hash"}

func writeCSV(w io.Writer, events []gate.AuditEvent) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, e := range events {
		details := ""
		if len(e.Details) > 0 {
			b, _ := json.Marshal(e.Details) // map keys are sorted by encoding/json
			details = string(b)
		}
		row := []string{e.Repo, strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.Type,
			e.RequestID, e.Actor, e.Channel, details, e.PrevHash, e.Hash}
		if err := cw.Write(csvSafe(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses spreadsheet formula injection: actors, reasons and
// commands in details come from users.
func csvSafe(row []string) []string {
	for i, f := range row {
		if f != "" && strings.ContainsRune("=+-@\t\r", rune(f[0])) {
			row[i] = "'" + f
		}
	}
	return row
}

func storeInit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stepgate store init", flag.ContinueOnError)
	spec := fs.String("store", getenv("STEPGATE_STORE"), "bolt:PATH or dynamodb:TABLE")
	if code, ok := parseFlags(fs, storeUsage, args, stdout, stderr); !ok {
		return code
	}
	sp, err := stores.ParseSpec(*spec)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate store init: %v\n", err)
		return 2
	}
	if sp.Kind == "bolt" {
		s, err := stores.Open(ctx, *spec)
		if err != nil {
			fmt.Fprintf(stderr, "stepgate store init: %v\n", err)
			return 1
		}
		s.Close()
		fmt.Fprintf(stdout, "bolt store %s ready\n", sp.Arg)
		return 0
	}
	s, err := stores.OpenDynamo(ctx, sp.Arg)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate store init: %v\n", err)
		return 1
	}
	warnings, err := s.CreateTable(ctx)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "stepgate store init: warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepgate store init: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "DynamoDB table %s ready\n", sp.Arg)
	return 0
}
