// Package server is the stepgate App's HTTP edge: the gate API the action
// talks to (OIDC-authenticated, api.go), GitHub webhooks (HMAC-verified,
// webhook.go, one file per event) that carry reviewers' clicks and
// comments, readiness and metrics. Each handler turns what it was given
// into a typed input for app/lifecycle, which owns a request from creation
// to its result, and answers what the lifecycle returns.
//
// The server is stateless: every fact lives in the store, so any number of
// replicas can share one (DynamoDB) store. Waiting gates long-poll through
// package longpoll: woken in-process on a decision, and across replicas by
// polling store.ListDecided (longpoll.go); over HTTP/1.x a waiting gate's
// connection is parked, costing no goroutine.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/lifecycle"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stepgate/stepgate/app/longpoll"
	"github.com/stepgate/stepgate/app/store"
)

// Config configures a Server. Store, GitHub, PublicURL and WebhookSecrets
// are required.
type Config struct {
	Store  store.Store
	GitHub ghapi.GitHub
	// PublicURL is the App's external URL; gate tokens must carry it as
	// their audience (a trailing slash is ignored).
	PublicURL string
	// OIDCIssuer is the issuer of gate tokens (GitHub Actions by default).
	OIDCIssuer string
	// OIDCClient fetches the issuer's discovery document and keys.
	OIDCClient *http.Client
	// WebhookSecrets are the accepted webhook secrets (several during rotation).
	WebhookSecrets []string
	// BotLogin is the App's own bot login (e.g. "stepgate[bot]"): its
	// comments and votes are never acted on. Optional: any login ending in
	// "[bot]" is ignored anyway.
	BotLogin string
	// CheckRunName names the check runs the App opens (default "stepgate").
	CheckRunName string
	// GitHubWebURL is where repository pages live (default
	// https://github.com; for GHES the host without /api/v3): the check run
	// and comment link the files a command executes at the run's commit.
	GitHubWebURL string
	// Registerer receives the metrics; nil means a private registry.
	Registerer prometheus.Registerer
	// Gatherer serves /metrics; nil serves nothing there.
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time

	SweepInterval   time.Duration // expire overdue requests (default 5s)
	PollInterval    time.Duration // ListDecided while gates wait (default 100ms)
	RecheckInterval time.Duration // a waiting gate re-reads its request (default 10s)
	MaxWait         time.Duration // longest long-poll (default 60s)
	DeliveryTTL     time.Duration // how long delivery ids are remembered (default 72h)
	// NoParking keeps every long-poll on its handler goroutine instead of
	// parking HTTP/1.x connections (package longpoll): ~30 KiB
	// more per waiting gate, for setups where hijacking connections is
	// unwelcome (e.g. middleware that must see every response).
	NoParking bool

	// Limits on unsigned webhook reads (unsigned.go): at most
	// MaxUnsignedReads bodies (default 1024) and MaxUnsignedBytes buffered
	// bytes (default 32 MiB) in flight, the oldest dropped when a newcomer
	// does not fit; a body must arrive within WebhookReadTimeout (default
	// 10s) plus a second per 256 KiB.
	MaxUnsignedReads   int
	MaxUnsignedBytes   int64
	WebhookReadTimeout time.Duration

	// AllowedOwners, when not empty, are the only owners (organisations
	// or users, case-insensitive) whose repositories may create requests.
	AllowedOwners []string
	// ReadyCacheTTL is how long a /readyz result is reused (default 5s), so
	// probes cost the store and GitHub at most one check each per TTL.
	ReadyCacheTTL time.Duration
}

// Server serves the gate API and webhooks.
type Server struct {
	cfg       Config
	store     store.Store
	gh        ghapi.GitHub
	log       *slog.Logger
	now       func() time.Time
	metrics   *metrics
	life      *lifecycle.Lifecycle
	poll      *longpoll.Poller
	verifier  *tokenVerifier
	unsigned  *readGovernor
	tarpit    *tarpit
	readiness readiness
	// badSigLog limits the log lines of refused signatures.
	badSigLog everySecond
	issuer    *issuerTransport
	secrets   [][]byte
	audience  string
	mux       *http.ServeMux
}

// New checks cfg and builds a Server. It does not contact anyone: the OIDC
// issuer is discovered on the first gate call.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("server: Store is required")
	case cfg.GitHub == nil:
		return nil, errors.New("server: GitHub is required")
	case cfg.PublicURL == "":
		return nil, errors.New("server: PublicURL is required")
	case len(cfg.WebhookSecrets) == 0:
		return nil, errors.New("server: at least one webhook secret is required")
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:      cfg,
		store:    cfg.Store,
		gh:       cfg.GitHub,
		log:      cfg.Logger,
		now:      cfg.Now,
		audience: strings.TrimRight(cfg.PublicURL, "/"),
		unsigned: newReadGovernor(cfg.MaxUnsignedReads, cfg.MaxUnsignedBytes, defaultLargeReads),
		tarpit:   newTarpit(tarpitHold, maxTarpit),
	}
	for _, sec := range cfg.WebhookSecrets {
		if sec == "" {
			return nil, errors.New("server: empty webhook secret")
		}
		s.secrets = append(s.secrets, []byte(sec))
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("server: registering metrics: %w", err)
	}
	s.metrics = m
	s.poll = longpoll.New(longpoll.Config{App: pollPort{s}, RecheckInterval: cfg.RecheckInterval, NoParking: cfg.NoParking})
	m.registerWaiting(cfg.Registerer, s.poll)
	s.life, err = lifecycle.New(lifecycle.Config{Store: cfg.Store, GitHub: cfg.GitHub, Notify: s.poll.Notify,
		BotLogin: cfg.BotLogin, CheckRunName: cfg.CheckRunName, GitHubWebURL: cfg.GitHubWebURL, AllowedOwners: cfg.AllowedOwners,
		DeliveryTTL: cfg.DeliveryTTL, SweepInterval: cfg.SweepInterval, Registerer: cfg.Registerer, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	oidcClient, it := newIssuerClient(cfg.OIDCClient)
	s.issuer = it
	s.verifier = newTokenVerifier(cfg.OIDCIssuer, s.audience, oidcClient, cfg.Now)
	s.mux = s.routes()
	return s, nil
}

// withDefaults fills every optional setting.
func (cfg Config) withDefaults() Config {
	if cfg.OIDCIssuer == "" {
		cfg.OIDCIssuer = "https://token.actions.githubusercontent.com"
	}
	if cfg.OIDCClient == nil {
		cfg.OIDCClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.GitHubWebURL == "" {
		cfg.GitHubWebURL = "https://github.com"
	}
	if cfg.CheckRunName == "" {
		cfg.CheckRunName = "stepgate"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Registerer == nil {
		reg := prometheus.NewRegistry()
		cfg.Registerer, cfg.Gatherer = reg, reg
	}
	setDefault(&cfg.SweepInterval, 5*time.Second)
	setDefault(&cfg.PollInterval, 100*time.Millisecond)
	setDefault(&cfg.RecheckInterval, 10*time.Second)
	setDefault(&cfg.MaxWait, 60*time.Second)
	setDefault(&cfg.DeliveryTTL, 72*time.Hour)
	setDefault(&cfg.WebhookReadTimeout, defaultWebhookRead)
	setDefault(&cfg.ReadyCacheTTL, 5*time.Second)
	if cfg.MaxUnsignedReads <= 0 {
		cfg.MaxUnsignedReads = defaultMaxUnsignedReads
	}
	if cfg.MaxUnsignedBytes <= 0 {
		cfg.MaxUnsignedBytes = defaultMaxUnsignedBytes
	}
	cfg.MaxUnsignedBytes = max(cfg.MaxUnsignedBytes, maxBufferedBody)
	return cfg
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Handler returns the HTTP handler of every route.
func (s *Server) Handler() http.Handler { return s.mux }

// Run runs the background work (the sweeper, the cross-replica decision
// poller and the dispatcher of parked long-polls) until ctx is done. Polls
// park only while Run runs; when ctx is done the parked ones are answered
// 503 (retry) before Run returns.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { s.life.Run(ctx) })
	wg.Go(func() { s.pollDecided(ctx) })
	wg.Go(func() { s.tarpit.run(ctx) })
	if !s.cfg.NoParking {
		wg.Go(func() { s.poll.Run(ctx) })
	}
	wg.Wait()
	return nil
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.handleWebhook)
	mux.HandleFunc("POST /api/v1/requests", s.api("create", s.handleCreate))
	mux.HandleFunc("GET /api/v1/requests/{id}", s.api("get", s.handleGet))
	mux.HandleFunc("POST /api/v1/requests/{id}/result", s.api("result", s.handleResult))
	mux.HandleFunc("POST /api/v1/requests/{id}/cancel", s.api("cancel", s.handleCancel))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such route")
	})
	return mux
}
