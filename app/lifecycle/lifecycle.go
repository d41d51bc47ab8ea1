package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// Identity is who calls the gate API, from a verified GitHub Actions OIDC
// token (app/server verifies it). Requests are bound to RepoID (and RunID/RunAttempt for writes).
type Identity struct {
	Repo           string
	RepoID         int64
	RunID          int64
	RunAttempt     int
	Actor          string
	Ref            string
	SHA            string
	EventName      string
	Environment    string
	Workflow       string
	JobWorkflowRef string
	// The job's own check run: GitHub gives every job, each matrix leg and
	// each job of a reusable-workflow call included, its own. Empty on
	// GitHub versions that do not send the claim.
	CheckRunID        string
	JobWorkflowSHA    string
	HeadRef, BaseRef  string // pull_request and pull_request_target runs
	RunnerEnvironment string // github-hosted or self-hosted
}

// Config is what a Lifecycle needs. Store and GitHub are required.
type Config struct {
	Store  store.Store
	GitHub ghapi.GitHub
	// Notify wakes the gates waiting on this replica for a decided request
	// (app/longpoll's hub); nil wakes nobody.
	Notify func(id string, r *gate.Request)
	// BotLogin is the App's own bot login: its votes never count.
	BotLogin string
	// CheckRunName names the check runs (default "stepgate").
	CheckRunName string
	// GitHubWebURL is where repository pages live (default https://github.com).
	GitHubWebURL string
	// AllowedOwners, when not empty, are the only owners whose repositories
	// may create requests (job-level gates check it here; the gate API at
	// its edge).
	AllowedOwners []string
	DeliveryTTL   time.Duration // how long delivery ids are remembered (default 72h)
	SweepInterval time.Duration // expire overdue requests (default 5s)
	Registerer    prometheus.Registerer
	Logger        *slog.Logger
	Now           func() time.Time
}

// Lifecycle runs requests from creation to their result. It is safe for
// concurrent use and keeps no state that matters across replicas: every
// fact is in the store; the caches only spare GitHub calls.
type Lifecycle struct {
	cfg     Config
	store   store.Store
	gh      ghapi.GitHub
	log     *slog.Logger
	now     func() time.Time
	notify  func(id string, r *gate.Request)
	metrics *metrics
	read    *ghReader  // what GitHub says: policy, CODEOWNERS, voters, pull requests
	trail   *trail     // the audit trail
	show    *announcer // the request's check run and comment on GitHub
	// locks serialises votes per request within this replica, so 50
	// concurrent clicks do not all race the store's conditional write; the
	// store still decides across replicas.
	locks keyedLocks
	// resealMu guards lastReseal (sweeper.go).
	resealMu   sync.Mutex
	lastReseal time.Time
}

// New checks cfg and builds a Lifecycle.
func New(cfg Config) (*Lifecycle, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("lifecycle: Store is required")
	case cfg.GitHub == nil:
		return nil, errors.New("lifecycle: GitHub is required")
	}
	if cfg.CheckRunName == "" {
		cfg.CheckRunName = "stepgate"
	}
	if cfg.GitHubWebURL == "" {
		cfg.GitHubWebURL = "https://github.com"
	}
	if cfg.DeliveryTTL <= 0 {
		cfg.DeliveryTTL = 72 * time.Hour
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Notify == nil {
		cfg.Notify = func(string, *gate.Request) {}
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Lifecycle{
		cfg: cfg, store: cfg.Store, gh: cfg.GitHub, log: cfg.Logger, now: cfg.Now, notify: cfg.Notify, metrics: m,
		read:  newGHReader(cfg.GitHub, cfg.Logger, cfg.Now, m),
		trail: &trail{store: cfg.Store, now: cfg.Now, metrics: m, log: cfg.Logger},
		show: &announcer{gh: cfg.GitHub, checkRunName: cfg.CheckRunName, webURL: cfg.GitHubWebURL,
			metrics: m, log: cfg.Logger},
	}, nil
}

// Run expires overdue requests (the sweeper) until ctx is done.
func (l *Lifecycle) Run(ctx context.Context) { l.sweep(ctx) }

// LocksHeld is how many requests have a vote lock on this replica now; it
// returns to 0 whenever nobody is voting (a lock is forgotten with its
// last user, also for requests decided on another replica).
func (l *Lifecycle) LocksHeld() int { return l.locks.held() }

// lockRequest serialises work on one request within this replica. A
// request's lock lives only while someone holds or waits for it, so
// requests decided on another replica leave nothing behind here.
func (l *Lifecycle) lockRequest(id string) func() {
	return l.locks.lock(id)
}

// keyedLocks is a mutex per key, forgotten when its last user unlocks.
type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyedLock{}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// held is how many keys have a lock now (tests).
func (k *keyedLocks) held() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}
