package benchrig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/app/store/dynamo"
	"github.com/stepgate/stepgate/app/wiring"
	"github.com/stepgate/stepgate/internal/memlimit"
)

// RunChildIfRequested runs the App and exits when this process was started
// by StartApp; otherwise it returns at once. Call it first in main or
// TestMain.
func RunChildIfRequested() {
	if os.Getenv("STEPGATE_RIG_CHILD") != "app" {
		return
	}
	if err := runChild(); err != nil {
		fmt.Fprintln(os.Stderr, "rig App child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runChild() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The same soft memory limit as `stepgate serve`, read the same way
	// (STEPGATE_MEMORY_LIMIT, GOMEMLIMIT wins), so the bench measures it.
	limit, err := memlimit.Parse(os.Getenv("STEPGATE_MEMORY_LIMIT"))
	if err != nil {
		return fmt.Errorf("STEPGATE_MEMORY_LIMIT: %w", err)
	}
	memlimit.Apply(limit, os.Getenv)
	key, err := os.ReadFile(os.Getenv("RIG_KEY_FILE"))
	if err != nil {
		return err
	}
	st, ops, err := openChildStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st)
	log := childLogger()
	reg := prometheus.NewRegistry()
	appID, _ := strconv.ParseInt(os.Getenv("RIG_APP_ID"), 10, 64)
	addr := os.Getenv("RIG_ADDR")
	// Built like `stepgate serve` builds it (app/wiring): the same policy
	// revalidation, intervals and HTTP timeouts unless RIG_* says otherwise.
	built, err := wiring.New(ctx, wiring.Settings{
		GitHubAppID: appID, GitHubPrivateKey: key, GitHubAPIURL: os.Getenv("RIG_GITHUB_URL"),
		PublicURL: "http://" + addr, OIDCIssuer: os.Getenv("RIG_ISSUER"),
		WebhookSecrets: []string{os.Getenv("RIG_SECRET")}, BotLogin: "stepgate[bot]",
		PollInterval: envDuration("RIG_POLL"), SweepInterval: envDuration("RIG_SWEEP"),
	}, wiring.Options{Store: st, Logger: log, Registerer: reg, Gatherer: reg})
	if err != nil {
		return err
	}
	app := built.Server
	mux := http.NewServeMux()
	mux.Handle("/", app.Handler())
	mux.HandleFunc("GET "+rigStatsPath, func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(ops.snapshot())
	})
	mux.HandleFunc("GET "+rigMemPath, func(w http.ResponseWriter, _ *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		_ = json.NewEncoder(w).Encode(MemStats{HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Sys: m.Sys,
			Goroutines: runtime.NumGoroutine(), NumGC: m.NumGC})
	})
	// Profiles of the App under the bench's load, for the report's analysis.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := built.HTTPServer(mux, log)
	srv.Addr = addr
	var wg sync.WaitGroup
	bg, cancel := context.WithCancel(ctx)
	wg.Go(func() { _ = app.Run(bg) })
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(sctx)
		scancel()
		_ = srv.Close()
	}
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func envDuration(k string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(k))
	return d
}

func openChildStore(ctx context.Context) (store.Store, *opCounter, error) {
	ops := &opCounter{n: map[string]int64{}}
	kind, arg, _ := cutSpec(os.Getenv("RIG_STORE"))
	switch kind {
	case "bolt":
		st, err := boltstore.Open(boltstore.Options{Path: arg, NoSync: os.Getenv("RIG_NOSYNC") == "true"})
		return st, ops, err
	case "dynamodb":
		api := &countingAPI{API: dynamo.LocalClient(os.Getenv("RIG_DYNAMO_ENDPOINT")), ops: ops}
		st, err := dynamo.New(dynamo.Options{Client: api, Table: arg})
		if err != nil {
			return nil, nil, err
		}
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := st.EnsureTable(tctx); err != nil {
			return nil, nil, fmt.Errorf("creating table %s: %w", arg, err)
		}
		return st, ops, nil
	}
	return nil, nil, fmt.Errorf("RIG_STORE=%q: want bolt:PATH or dynamodb:TABLE", os.Getenv("RIG_STORE"))
}

func cutSpec(s string) (kind, arg string, ok bool) {
	for i := range len(s) {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func closeStore(st store.Store) {
	if c, ok := st.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}
