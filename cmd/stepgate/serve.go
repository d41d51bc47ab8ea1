package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/app/wiring"
	"github.com/stepgate/stepgate/internal/memlimit"
)

const serveUsageHead = `Usage: stepgate serve [flags]

Runs the stepgate GitHub App: POST /webhook (GitHub webhooks), the gate API
(POST /api/v1/requests, GET /api/v1/requests/{id}?wait=30s, POST …/result,
POST …/cancel), GET /healthz (liveness), GET /readyz (store reachable and
GitHub accepting the App's credentials; 503 naming which is not) and
GET /metrics. At start-up the App asks GitHub for itself (GET /app): a
wrong App id or private key exits with status 2.

Every flag has an environment variable; the flag wins when both are set.

`

const serveUsageTail = `
Memory: the Go GC sizes its heap goal from the live heap plus goroutine
stacks, so a burst of gates connecting at once (a goroutine and buffers
each until their poll is parked) inflates the goal and the resident set
stays high afterwards. The default soft limit makes the GC work harder near
128 MiB instead. Set GOMEMLIMIT (the runtime's own) or --memory-limit to
match your container's memory, a little below it; off restores Go's default.

Parking: a waiting GET …?wait= on HTTP/1.1 is handed from its handler to a
shared hub (its connection hijacked) and costs no goroutine while it waits;
the answer closes the connection. HTTP/2 polls are not parked. On shutdown
parked polls are answered 503 with Retry-After: 1, so gates retry.

Missing or bad configuration exits with status 2 and names the variable.
`

// configError names the variable a bad setting came from (exit 2).
type configError = wiring.ConfigError

// serveUsage is --help: the flags and variables of wiring.Vars, each with
// its default, between the text above and below.
func serveUsage() string {
	var b strings.Builder
	b.WriteString(serveUsageHead)
	for _, v := range wiring.Vars {
		text := v.Usage
		switch {
		case v.Required:
			text += " (required)"
		case v.Default != "":
			text += " (default " + v.Default + ")"
		}
		lines := wrap(text, 45)
		fmt.Fprintf(&b, "  %-27s %-34s %s\n", "--"+v.Flag, v.Name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "%65s%s\n", "", l)
		}
	}
	b.WriteString(serveUsageTail)
	return b.String()
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// boolFlag is a string flag that may be given bare (--no-parking), so a
// boolean flag can still lose to nothing and win over its variable.
type boolFlag struct{ v *string }

func (b boolFlag) String() string {
	if b.v == nil {
		return ""
	}
	return *b.v
}
func (b boolFlag) Set(s string) error { *b.v = s; return nil }
func (b boolFlag) IsBoolFlag() bool   { return true }

// parseServeConfig reads flags over the environment into wiring.Config
// (each flag is a wiring.Vars variable). It returns flag.ErrHelp for --help.
func parseServeConfig(args []string, getenv func(string) string, readFile func(string) ([]byte, error), stderr io.Writer) (wiring.Config, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage()) }
	flags := map[string]*string{}
	for _, v := range wiring.Vars {
		flags[v.Name] = new(string)
		if v.Bool {
			fs.Var(boolFlag{flags[v.Name]}, v.Flag, v.Name)
		} else {
			fs.StringVar(flags[v.Name], v.Flag, "", v.Name)
		}
	}
	if err := fs.Parse(args); err != nil {
		return wiring.Config{}, err
	}
	if fs.NArg() > 0 {
		return wiring.Config{}, &configError{Var: "arguments", Msg: fmt.Sprintf("unexpected %q (configuration is flags and STEPGATE_* variables)", fs.Arg(0))}
	}
	return wiring.LoadConfig(func(name string) string {
		if v := strings.TrimSpace(*flags[name]); v != "" {
			return v
		}
		return getenv(name)
	}, readFile)
}

// runServe is `stepgate serve`.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseServeConfig(args, os.Getenv, os.ReadFile, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepgate serve: %v\n(see stepgate serve --help)\n", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ml := memlimit.Apply(cfg.MemoryLimit, os.Getenv)
	log.Info("memory limit", "bytes", ml.Limit, "source", ml.Source)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate serve: listening on %s: %v\n", cfg.Addr, err)
		return 1
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "stepgate serve: listening on %s (STEPGATE_METRICS_ADDR): %v\n", cfg.MetricsAddr, err)
			return 1
		}
	}
	if err := serve(ctx, cfg, log, ln, mln); err != nil {
		log.Error("stepgate serve stopped", "err", err)
		fmt.Fprintf(stderr, "stepgate serve: %v\n", err)
		return exitCodeOf(err)
	}
	return 0
}

// serve builds the App (app/wiring, as the demo and the bench do) and serves
// HTTP on ln (and /metrics on mln when it is not nil) until ctx is cancelled.
func serve(ctx context.Context, cfg wiring.Config, log *slog.Logger, ln, mln net.Listener) error {
	defer ln.Close()
	if mln != nil {
		defer mln.Close()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	app, err := wiring.New(ctx, cfg, wiring.Options{Logger: log, Registerer: reg, Gatherer: publicGatherer(reg, mln)})
	if err != nil {
		return err
	}
	defer app.Close()
	if err := checkApp(ctx, app.GitHub, log); err != nil {
		return err
	}
	srv, hs := app.Server, app.HTTPServer(nil, log)
	bgCtx, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Run(bgCtx) })
	if mln != nil {
		ms := metricsServer(reg, log)
		wg.Go(func() { _ = ms.Serve(mln) })
		wg.Go(func() {
			<-ctx.Done()
			_ = ms.Close()
		})
		log.Info("stepgate serve metrics listening", "addr", mln.Addr().String())
	}
	wg.Go(func() {
		<-ctx.Done()
		// Long-polls end with the shutdown deadline; gates retry elsewhere.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	log.Info("stepgate serve listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "store", storeKind(cfg.Store),
		"allowed_owners", strings.Join(cfg.AllowedOwners, ","))
	err = hs.Serve(ln)
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// exitCodeOf is serve's exit status for err: 2 for configuration
// (including credentials GitHub refuses), 1 otherwise.
func exitCodeOf(err error) int {
	var ce *configError
	if errors.As(err, &ce) {
		return 2
	}
	return 1
}

// checkApp asks GitHub for the App itself before serving: credentials that
// GitHub refuses are a configuration error (exit 2, naming the variables);
// a GitHub that cannot be reached is only logged, since /readyz reports it
// and it may come back.
func checkApp(ctx context.Context, gh *ghclient.Client, log *slog.Logger) error {
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err := gh.CheckApp(cctx)
	switch {
	case err == nil:
		log.Info("GitHub App credentials accepted")
		return nil
	case errors.Is(err, ghapi.ErrAppCredentials):
		return &configError{Var: "STEPGATE_GITHUB_APP_ID / STEPGATE_GITHUB_PRIVATE_KEY", Msg: err.Error()}
	default:
		log.Warn("cannot check the GitHub App credentials at start-up; /readyz answers 503 until GitHub answers", "err", err)
		return nil
	}
}

// publicGatherer is what the public listener serves at /metrics: nothing
// (404) when a separate metrics listener is configured.
func publicGatherer(reg *prometheus.Registry, mln net.Listener) prometheus.Gatherer {
	if mln != nil {
		return nil
	}
	return reg
}

// metricsServer serves GET /metrics (and /healthz) on the metrics listener.
func metricsServer(reg *prometheus.Registry, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	return &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

func storeKind(spec string) string {
	kind, _, _ := strings.Cut(spec, ":")
	return kind
}
