package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/app/stores"
	"github.com/stepgate/stepgate/app/wiring"
	"github.com/stepgate/stepgate/internal/memlimit"
)

// serveConfig is `stepgate serve`'s configuration, parsed once from flags
// and STEPGATE_* variables (a flag wins over its variable).
type serveConfig struct {
	Addr           string
	MetricsAddr    string   // "" serves /metrics on Addr
	AllowedOwners  []string // empty: any owner where the App is installed
	PublicURL      string
	Store          string
	AppID          int64
	AppSlug        string
	PrivateKey     []byte
	WebhookSecrets []string
	APIURL         string
	OIDCIssuer     string
	LogLevel       slog.Level
	SweepInterval  time.Duration
	PollInterval   time.Duration
	MaxWait        time.Duration
	FileCacheTTL   time.Duration
	MemoryLimit    int64 // bytes; 0: none (applied only without GOMEMLIMIT)
	NoParking      bool
}

const serveUsage = `Usage: stepgate serve [flags]

Runs the stepgate GitHub App: POST /webhook (GitHub webhooks), the gate API
(POST /api/v1/requests, GET /api/v1/requests/{id}?wait=30s, POST …/result,
POST …/cancel), GET /healthz (liveness), GET /readyz (store reachable and
GitHub accepting the App's credentials; 503 naming which is not) and
GET /metrics. At start-up the App asks GitHub for itself (GET /app): a
wrong App id or private key exits with status 2.

Every flag has an environment variable; the flag wins when both are set.

  --addr                      STEPGATE_ADDR                      listen address (default :8080)
  --metrics-addr              STEPGATE_METRICS_ADDR              serve GET /metrics on this address (e.g.
                                                                 127.0.0.1:9090) instead of the public
                                                                 listener, which then answers it 404
  --allowed-owners            STEPGATE_ALLOWED_OWNERS            comma-separated organisations/users whose
                                                                 repositories may use the App (default: any
                                                                 where it is installed); others are refused 403
  --public-url                STEPGATE_PUBLIC_URL                the App's external URL; gate tokens must
                                                                 carry it as audience (required)
  --store                     STEPGATE_STORE                     bolt:PATH (default bolt:stepgate.db) or
                                                                 dynamodb:TABLE (AWS_REGION,
                                                                 AWS_ENDPOINT_URL_DYNAMODB, … as the AWS SDK reads them)
  --github-app-id             STEPGATE_GITHUB_APP_ID             the App's numeric id (required)
  --github-private-key        STEPGATE_GITHUB_PRIVATE_KEY        the App's private key, PEM (or use the _FILE form)
  --github-private-key-file   STEPGATE_GITHUB_PRIVATE_KEY_FILE   path of the App's private key PEM file
  --webhook-secret            STEPGATE_WEBHOOK_SECRET            webhook secret; several comma-separated
                                                                 during a rotation (required, or the _FILE form)
  --webhook-secret-file       STEPGATE_WEBHOOK_SECRET_FILE       path of a file holding the webhook secret(s)
                                                                 (what "stepgate app create" writes)
  --github-api-url            STEPGATE_GITHUB_API_URL            REST API base (default https://api.github.com;
                                                                 GHES: https://HOST/api/v3)
  --oidc-issuer               STEPGATE_OIDC_ISSUER               issuer of gate tokens (default
                                                                 https://token.actions.githubusercontent.com)
  --github-app-slug           STEPGATE_GITHUB_APP_SLUG           the App's slug; its bot's comments and clicks
                                                                 are never acted on (optional: any *[bot] is ignored)
  --log-level                 STEPGATE_LOG_LEVEL                 debug, info (default), warn or error; JSON logs on stderr
  --sweep-interval            STEPGATE_SWEEP_INTERVAL            how often overdue requests are expired (default 5s)
  --poll-interval             STEPGATE_POLL_INTERVAL             how often this replica looks for decisions made
                                                                 by other replicas while gates wait (default 100ms)
  --max-wait                  STEPGATE_MAX_WAIT                  longest long-poll a gate may ask for (default 60s)
  --github-file-cache-ttl     STEPGATE_GITHUB_FILE_CACHE_TTL     how long the policy and CODEOWNERS files are
                                                                 served from memory before asking GitHub
                                                                 again with their ETag (default 10s: a policy
                                                                 edit applies within 10 s; negative, e.g.
                                                                 -1s: revalidate on every request)
  --memory-limit              STEPGATE_MEMORY_LIMIT              soft memory limit of the Go runtime, e.g.
                                                                 256MiB or 1GiB; off disables it (default
                                                                 128MiB; ignored when GOMEMLIMIT is set)
  --no-parking                STEPGATE_NO_PARKING                keep each waiting long-poll on its own
                                                                 goroutine instead of parking it (true/false;
                                                                 default false)

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

// configError names the variable a bad setting came from.
type configError struct{ name, msg string }

func (e *configError) Error() string { return e.name + ": " + e.msg }

type serveFlag struct{ flag, env, def string }

var serveFlags = []serveFlag{
	{"addr", "STEPGATE_ADDR", ":8080"},
	{"metrics-addr", "STEPGATE_METRICS_ADDR", ""},
	{"allowed-owners", "STEPGATE_ALLOWED_OWNERS", ""},
	{"public-url", "STEPGATE_PUBLIC_URL", ""},
	{"store", "STEPGATE_STORE", stores.Default},
	{"github-app-id", "STEPGATE_GITHUB_APP_ID", ""},
	{"github-private-key", "STEPGATE_GITHUB_PRIVATE_KEY", ""},
	{"github-private-key-file", "STEPGATE_GITHUB_PRIVATE_KEY_FILE", ""},
	{"webhook-secret", "STEPGATE_WEBHOOK_SECRET", ""},
	{"webhook-secret-file", "STEPGATE_WEBHOOK_SECRET_FILE", ""},
	{"github-api-url", "STEPGATE_GITHUB_API_URL", ""},
	{"oidc-issuer", "STEPGATE_OIDC_ISSUER", "https://token.actions.githubusercontent.com"},
	{"github-app-slug", "STEPGATE_GITHUB_APP_SLUG", ""},
	{"log-level", "STEPGATE_LOG_LEVEL", "info"},
	{"sweep-interval", "STEPGATE_SWEEP_INTERVAL", "5s"},
	{"poll-interval", "STEPGATE_POLL_INTERVAL", "100ms"},
	{"max-wait", "STEPGATE_MAX_WAIT", "60s"},
	{"github-file-cache-ttl", "STEPGATE_GITHUB_FILE_CACHE_TTL", "10s"},
	{"memory-limit", "STEPGATE_MEMORY_LIMIT", ""},
	{"no-parking", "STEPGATE_NO_PARKING", "false"},
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

// parseServeConfig reads flags over the environment. It returns
// flag.ErrHelp for --help.
func parseServeConfig(args []string, getenv func(string) string, readFile func(string) ([]byte, error), stderr io.Writer) (serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage) }
	vals := map[string]*string{}
	for _, f := range serveFlags {
		if f.flag == "no-parking" {
			vals[f.env] = new(string)
			fs.Var(boolFlag{vals[f.env]}, f.flag, f.env)
			continue
		}
		vals[f.env] = fs.String(f.flag, "", f.env)
	}
	if err := fs.Parse(args); err != nil {
		return serveConfig{}, err
	}
	if fs.NArg() > 0 {
		return serveConfig{}, &configError{"arguments", fmt.Sprintf("unexpected %q (configuration is flags and STEPGATE_* variables)", fs.Arg(0))}
	}
	get := func(env string) string {
		if v := strings.TrimSpace(*vals[env]); v != "" {
			return v
		}
		if v := strings.TrimSpace(getenv(env)); v != "" {
			return v
		}
		for _, f := range serveFlags {
			if f.env == env {
				return f.def
			}
		}
		return ""
	}
	return buildServeConfig(get, readFile)
}

func buildServeConfig(get func(string) string, readFile func(string) ([]byte, error)) (serveConfig, error) {
	c := serveConfig{Addr: get("STEPGATE_ADDR"), Store: get("STEPGATE_STORE"), AppSlug: get("STEPGATE_GITHUB_APP_SLUG")}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, &configError{"STEPGATE_ADDR", fmt.Sprintf("%q is not host:port (e.g. :8080)", c.Addr)}
	}
	for _, o := range strings.Split(get("STEPGATE_ALLOWED_OWNERS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if strings.ContainsAny(o, "/ ") {
				return c, &configError{"STEPGATE_ALLOWED_OWNERS", fmt.Sprintf("%q is not an organisation or user name (comma-separated owners, e.g. acme,octo)", o)}
			}
			c.AllowedOwners = append(c.AllowedOwners, o)
		}
	}
	if c.MetricsAddr = get("STEPGATE_METRICS_ADDR"); c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return c, &configError{"STEPGATE_METRICS_ADDR", fmt.Sprintf("%q is not host:port (e.g. 127.0.0.1:9090)", c.MetricsAddr)}
		}
	}
	var err error
	if c.PublicURL, err = requiredURL(get, "STEPGATE_PUBLIC_URL"); err != nil {
		return c, err
	}
	if _, err := stores.ParseSpec(c.Store); err != nil {
		return c, &configError{"STEPGATE_STORE", fmt.Sprintf("%q: want bolt:PATH or dynamodb:TABLE", c.Store)}
	}
	id := get("STEPGATE_GITHUB_APP_ID")
	if c.AppID, err = strconv.ParseInt(id, 10, 64); id == "" || err != nil || c.AppID <= 0 {
		return c, &configError{"STEPGATE_GITHUB_APP_ID", "required: the App's numeric id"}
	}
	if c.PrivateKey, err = privateKey(get, readFile); err != nil {
		return c, err
	}
	secrets := get("STEPGATE_WEBHOOK_SECRET")
	if path := get("STEPGATE_WEBHOOK_SECRET_FILE"); secrets == "" && path != "" {
		b, err := readFile(path)
		if err != nil {
			return c, &configError{"STEPGATE_WEBHOOK_SECRET_FILE", fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))}
		}
		secrets = strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", ",")
	}
	for _, s := range strings.Split(secrets, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.WebhookSecrets = append(c.WebhookSecrets, s)
		}
	}
	if len(c.WebhookSecrets) == 0 {
		return c, &configError{"STEPGATE_WEBHOOK_SECRET", "required (or STEPGATE_WEBHOOK_SECRET_FILE): the App's webhook secret (comma-separated during a rotation)"}
	}
	if get("STEPGATE_GITHUB_API_URL") != "" {
		if c.APIURL, err = requiredURL(get, "STEPGATE_GITHUB_API_URL"); err != nil {
			return c, err
		}
	}
	if c.OIDCIssuer, err = requiredURL(get, "STEPGATE_OIDC_ISSUER"); err != nil {
		return c, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("STEPGATE_LOG_LEVEL"))); err != nil {
		return c, &configError{"STEPGATE_LOG_LEVEL", "want debug, info, warn or error"}
	}
	for _, d := range []struct {
		env  string
		dst  *time.Duration
		zero bool
	}{
		{"STEPGATE_SWEEP_INTERVAL", &c.SweepInterval, false}, {"STEPGATE_POLL_INTERVAL", &c.PollInterval, false},
		{"STEPGATE_MAX_WAIT", &c.MaxWait, false}, {"STEPGATE_GITHUB_FILE_CACHE_TTL", &c.FileCacheTTL, true},
	} {
		v, err := time.ParseDuration(get(d.env))
		if err != nil || v < 0 || (v == 0 && !d.zero) {
			return c, &configError{d.env, fmt.Sprintf("%q is not a positive duration like 5s", get(d.env))}
		}
		*d.dst = v
	}
	return c, buildRuntimeConfig(&c, get)
}

// buildRuntimeConfig reads the settings about how the App holds waiting
// gates: its memory limit and whether polls are parked.
func buildRuntimeConfig(c *serveConfig, get func(string) string) error {
	var err error
	if c.MemoryLimit, err = memlimit.Parse(get("STEPGATE_MEMORY_LIMIT")); err != nil {
		return &configError{"STEPGATE_MEMORY_LIMIT", err.Error()}
	}
	if c.NoParking, err = strconv.ParseBool(get("STEPGATE_NO_PARKING")); err != nil {
		return &configError{"STEPGATE_NO_PARKING", fmt.Sprintf("%q: want true or false", get("STEPGATE_NO_PARKING"))}
	}
	return nil
}

func requiredURL(get func(string) string, env string) (string, error) {
	v := get(env)
	if v == "" {
		return "", &configError{env, "required"}
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", &configError{env, fmt.Sprintf("%q is not an absolute http(s) URL", v)}
	}
	return v, nil
}

// privateKey reads the App's key from the variable or the file and checks
// that it is an RSA key in PEM, without ever printing it.
func privateKey(get func(string) string, readFile func(string) ([]byte, error)) ([]byte, error) {
	env, key := "STEPGATE_GITHUB_PRIVATE_KEY", []byte(get("STEPGATE_GITHUB_PRIVATE_KEY"))
	if path := get("STEPGATE_GITHUB_PRIVATE_KEY_FILE"); len(key) == 0 && path != "" {
		env = "STEPGATE_GITHUB_PRIVATE_KEY_FILE"
		var err error
		if key, err = readFile(path); err != nil {
			return nil, &configError{env, fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))}
		}
	}
	if len(key) == 0 {
		return nil, &configError{"STEPGATE_GITHUB_PRIVATE_KEY", "required (or STEPGATE_GITHUB_PRIVATE_KEY_FILE): the App's private key, PEM"}
	}
	if !strings.Contains(string(key), "\n") {
		// A key pasted into one environment line often has literal \n.
		key = []byte(strings.ReplaceAll(string(key), `\n`, "\n"))
	}
	block, _ := pem.Decode(key)
	if block == nil {
		return nil, &configError{env, "not a PEM private key"}
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		if _, err2 := x509.ParsePKCS8PrivateKey(block.Bytes); err2 != nil {
			return nil, &configError{env, "not an RSA private key in PEM (PKCS#1 or PKCS#8)"}
		}
	}
	return key, nil
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
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, ln, mln net.Listener) error {
	defer ln.Close()
	if mln != nil {
		defer mln.Close()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	bot := ""
	if cfg.AppSlug != "" {
		bot = cfg.AppSlug + "[bot]"
	}
	app, err := wiring.New(ctx, wiring.Settings{Store: cfg.Store,
		GitHubAppID: cfg.AppID, GitHubPrivateKey: cfg.PrivateKey, GitHubAPIURL: cfg.APIURL, FileCacheTTL: cfg.FileCacheTTL,
		PublicURL: cfg.PublicURL, OIDCIssuer: cfg.OIDCIssuer, WebhookSecrets: cfg.WebhookSecrets, BotLogin: bot,
		AllowedOwners: cfg.AllowedOwners, SweepInterval: cfg.SweepInterval, PollInterval: cfg.PollInterval,
		MaxWait: cfg.MaxWait, NoParking: cfg.NoParking,
	}, wiring.Options{Logger: log, Registerer: reg, Gatherer: publicGatherer(reg, mln)})
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
		return &configError{"STEPGATE_GITHUB_APP_ID / STEPGATE_GITHUB_PRIVATE_KEY", err.Error()}
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
