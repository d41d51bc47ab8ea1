// Package wiring builds the App from its configuration: the store, the
// GitHub client, the server and the HTTP server with the timeouts
// production uses. `stepgate serve`, the demo, the benchmarks' App child
// and the fault and hostile-input tests (through it) all build it here,
// from one Config whose variables, defaults and checks are declared once
// (Vars): LoadConfig reads them from the environment, DefaultConfig gives
// the same defaults to callers that set the rest in code. None of them
// runs with settings the others do not (a policy revalidation interval, a
// poll interval, an HTTP timeout); whatever differs is a visible field of
// Config or Options.
package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/app/server"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/stores"
)

// Options are what a caller swaps (tests, the demo, the bench).
type Options struct {
	Store      store.Store // an open store to use instead of Config.Store (not closed by Close)
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Gatherer serves /metrics on the public listener; nil serves nothing
	// there (serve's STEPGATE_METRICS_ADDR moves it to its own listener).
	Gatherer prometheus.Gatherer
	Now      func() time.Time
	// OIDCClient fetches the issuer's discovery document and keys.
	OIDCClient *http.Client
	// GitHub replaces the real GitHub client (ghclient, built from the
	// Config's App id, key and API URL) with a test's fake; App.GitHub is
	// then nil.
	GitHub ghapi.GitHub
}

// App is a built App.
type App struct {
	Server *server.Server
	GitHub *ghclient.Client // nil when Options.GitHub replaced it
	Store  store.Store

	maxWait   time.Duration
	closeable store.Store // opened here, closed by Close
}

// New builds the App. It opens the store named by s.Store unless o.Store is
// given; Close closes what New opened. s.Addr, s.MetricsAddr, s.LogLevel
// and s.MemoryLimit belong to the process and are the caller's to apply.
func New(ctx context.Context, s Config, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{Store: o.Store, maxWait: s.MaxWait}
	if a.Store == nil {
		st, err := stores.Open(ctx, s.Store)
		if err != nil {
			return nil, fmt.Errorf("opening store: %w", err)
		}
		a.Store, a.closeable = st, st
	}
	gh := o.GitHub
	if gh == nil {
		client, err := ghclient.New(ghclient.Config{AppID: s.GitHubAppID, PrivateKey: s.GitHubPrivateKey, APIURL: s.GitHubAPIURL,
			Registerer: o.Registerer, Logger: o.Logger, FileCacheTTL: s.FileCacheTTL})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("GitHub client: %w", err)
		}
		a.GitHub, gh = client, client
	}
	srv, err := server.New(server.Config{Store: a.Store, GitHub: gh, PublicURL: s.PublicURL, OIDCIssuer: s.OIDCIssuer,
		OIDCClient: o.OIDCClient, WebhookSecrets: s.WebhookSecrets, BotLogin: s.BotLogin(),
		Registerer: o.Registerer, Gatherer: o.Gatherer, Logger: o.Logger, Now: o.Now,
		SweepInterval: s.SweepInterval, PollInterval: s.PollInterval, MaxWait: s.MaxWait,
		NoParking: s.NoParking, AllowedOwners: s.AllowedOwners, GitHubWebURL: WebURL(s.GitHubAPIURL)})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Server = srv
	return a, nil
}

// HTTPServer is the public listener's server with production's timeouts:
// headers within 5 s, a body within 30 s, writes within the longest
// long-poll plus 30 s; at most 2,048 connections still sending headers or
// idle (server.ConnGuard: idle ones beyond that are closed oldest first, a
// new one only once it has waited 2 s for its headers, and while
// 2,048 young ones wait Accept pauses and a burst queues in the kernel).
// Serve and ListenAndServe apply the bound; the embedded server's own
// would not.
func (a *App) HTTPServer(h http.Handler, log *slog.Logger) *HTTPServer {
	if h == nil {
		h = a.Server.Handler()
	}
	maxWait := a.maxWait
	if maxWait <= 0 {
		maxWait = 60 * time.Second // the server's default MaxWait
	}
	guard := server.NewConnGuard(0)
	hs := &http.Server{Handler: guard.Wrap(h), ConnState: guard.ConnState, ConnContext: guard.ConnContext,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: maxWait + 30*time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	if log != nil {
		hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return &HTTPServer{Server: hs, guard: guard}
}

// HTTPServer is an http.Server whose Serve bounds the connections waiting
// for their headers (see App.HTTPServer).
type HTTPServer struct {
	*http.Server
	guard *server.ConnGuard
}

// Serve serves on ln through the connection guard.
func (s *HTTPServer) Serve(ln net.Listener) error { return s.Server.Serve(s.guard.Listener(ln)) }

// ListenAndServe listens on s.Addr and serves through the connection guard.
func (s *HTTPServer) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Close closes the store if New opened it.
func (a *App) Close() error {
	if a.closeable == nil {
		return nil
	}
	err := a.closeable.Close()
	a.closeable = nil
	return err
}

// WebURL is GitHub's web root for an API URL: https://github.com for
// api.github.com (or ""), the host without /api/v3 for GitHub Enterprise
// Server.
func WebURL(apiURL string) string {
	switch apiURL {
	case "", "https://api.github.com", "https://api.github.com/":
		return "https://github.com"
	}
	u := apiURL
	for _, suffix := range []string{"/api/v3/", "/api/v3", "/"} {
		if len(u) > len(suffix) && u[len(u)-len(suffix):] == suffix {
			return u[:len(u)-len(suffix)]
		}
	}
	return u
}
