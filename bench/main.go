// Command bench measures every row of DESIGN.md's performance table on this
// machine with real parts: App child processes (bolt, or two replicas on
// one dynalite table), the GitHub stand-in, a local OIDC issuer and gates
// driven by gate/action. It prints the results and, with -write, writes
// BENCHMARKS.md.
//
//	go run ./bench [-only NAME[,NAME]] [-write BENCHMARKS.md] [-n 200]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/stepgate/stepgate/internal/benchrig"
)

func main() {
	benchrig.RunChildIfRequested()
	runAttackerIfRequested()
	os.Exit(run())
}

// figure is one measurement; run returns one or more rows.
type figure struct {
	name string
	run  func(ctx context.Context, e *env) ([]row, error)
}

func figures() []figure {
	return []figure{
		{"propagation", benchPropagation},
		{"replicas", benchReplicas},
		{"polling", benchPollingBaseline},
		{"fastpath", benchFastPath},
		{"throughput", benchThroughput},
		{"longpoll", benchLongPoll},
		{"hostile", benchHostile},
		{"risk", benchRisk},
		{"policy", benchPolicy},
		{"redact", benchRedact},
		{"dynamo", benchDynamo},
		{"deployment", benchDeployment},
	}
}

func run() int {
	only := flag.String("only", "", "comma-separated figures to run (default all): "+names())
	write := flag.String("write", "", "write the report to this file (e.g. BENCHMARKS.md)")
	n := flag.Int("n", 200, "samples for the latency figures")
	verbose := flag.Bool("v", false, "show the App children's logs")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	raiseNoFile()
	e, err := newEnv(*n, *verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer e.close()
	var rows []row
	failed := false
	started := time.Now()
	for _, f := range figures() {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), f.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s\n", f.name)
		t0 := time.Now()
		got, err := f.run(ctx, e)
		if err != nil {
			fmt.Fprintf(os.Stderr, "   %s failed: %v\n", f.name, err)
			failed = true
			got = append(got, row{Figure: f.name, Measured: "error: " + err.Error(), Verdict: "error"})
		}
		for _, r := range got {
			fmt.Fprintf(os.Stderr, "   %-58s %-28s %s\n", r.Figure, r.Measured, r.Verdict)
			if *verbose && r.Notes != "" {
				fmt.Fprintf(os.Stderr, "      %s\n", r.Notes)
			}
		}
		fmt.Fprintf(os.Stderr, "   (%s)\n", time.Since(t0).Round(time.Second))
		rows = append(rows, got...)
	}
	fmt.Fprintf(os.Stderr, "total %s\n", time.Since(started).Round(time.Second))
	if *write != "" {
		if err := writeReport(*write, rows, e.machine(), time.Since(started)); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

func names() string {
	var s []string
	for _, f := range figures() {
		s = append(s, f.name)
	}
	return strings.Join(s, ",")
}

// raiseNoFile lifts the soft open-file limit to the hard one: 5,000 long
// polls need 10,000 descriptors across the client and the App child, which
// inherits the limit.
func raiseNoFile() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func logWriter(verbose bool) io.Writer {
	if verbose {
		return os.Stderr
	}
	return io.Discard
}
