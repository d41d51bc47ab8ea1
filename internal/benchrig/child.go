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
	"strings"
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
	// The child reads serve's own configuration (app/wiring's variables,
	// set by StartApp or inherited), so the bench runs the App with what
	// serve would: the same defaults, checks, memory limit and parking.
	cfg, err := wiring.LoadConfig(os.Getenv, os.ReadFile)
	if err != nil {
		return err
	}
	memlimit.Apply(cfg.MemoryLimit, os.Getenv)
	st, ops, err := openChildStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer closeStore(st)
	log := childLogger()
	reg := prometheus.NewRegistry()
	built, err := wiring.New(ctx, cfg, wiring.Options{Store: st, Logger: log, Registerer: reg, Gatherer: reg})
	if err != nil {
		return err
	}
	srv := built.HTTPServer(childMux(built.Server.Handler(), ops), log)
	srv.Addr = cfg.Addr
	var wg sync.WaitGroup
	bg, cancel := context.WithCancel(ctx)
	wg.Go(func() { _ = built.Server.Run(bg) })
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

// childMux is the App's handler with the rig's own endpoints: DynamoDB
// call counts, Go memory statistics and profiles of the App under load.
func childMux(app http.Handler, ops *opCounter) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/", app)
	mux.HandleFunc("GET "+rigStatsPath, func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(ops.snapshot())
	})
	mux.HandleFunc("GET "+rigMemPath, func(w http.ResponseWriter, _ *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		_ = json.NewEncoder(w).Encode(MemStats{HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Sys: m.Sys,
			Goroutines: runtime.NumGoroutine(), NumGC: m.NumGC})
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	return mux
}

// openChildStore opens the store itself rather than through app/stores:
// DynamoDB behind a call counter on the rig's endpoint, bolt optionally
// without fsync.
func openChildStore(ctx context.Context, spec string) (store.Store, *opCounter, error) {
	ops := &opCounter{n: map[string]int64{}}
	kind, arg, _ := strings.Cut(spec, ":")
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
	return nil, nil, fmt.Errorf("STEPGATE_STORE=%q: want bolt:PATH or dynamodb:TABLE", spec)
}

func closeStore(st store.Store) {
	if c, ok := st.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}
