package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/memlimit"
)

const (
	longPollers = 5000
	longWait    = 25 * time.Second
)

// benchLongPoll: 5,000 pending requests, each with a gate long-polling
// GET ?wait=25s at once from one client process (5,000 goroutines, one
// connection each). Every poll must come back 200 still pending; the App
// child's VmHWM is the peak resident set. The App runs as `stepgate serve`
// does by default: polls parked, soft memory limit memlimit.Default.
func benchLongPoll(ctx context.Context, e *env) ([]row, error) {
	rows, err := longPoll(ctx, e, "")
	if err != nil {
		return rows, err
	}
	// The same without the soft memory limit, to show what it buys.
	more, err := longPoll(ctx, e, "STEPGATE_MEMORY_LIMIT=off")
	for i := range more {
		more[i].Verdict, more[i].Target = "info", "(same run with the memory limit off)"
	}
	return append(rows, more...), err
}

func longPoll(ctx context.Context, e *env, extraEnv string) ([]row, error) {
	var env []string
	label := fmt.Sprintf(", default memory limit %d MiB", memlimit.Default>>20)
	if extraEnv != "" {
		env, label = []string{extraEnv}, ", "+extraEnv
	}
	app, err := e.startBolt(ctx, "longpoll"+fmt.Sprint(len(extraEnv)), 2, env...)
	if err != nil {
		return nil, err
	}
	defer app.Stop()
	idle, _ := app.Memory()
	c := &apiClient{base: app.URL, http: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		MaxIdleConns: longPollers + 100, MaxIdleConnsPerHost: longPollers + 100}}}
	defer c.http.CloseIdleConnections()
	ids, toks, err := createPending(ctx, e, c, longPollers)
	if err != nil {
		return nil, err
	}
	c.http.CloseIdleConnections()
	created, _ := app.Memory()
	// Reset VmHWM, so the peak below is the long-poll phase's alone.
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", app.PID()), []byte("5"), 0)
	start := time.Now()
	polls := startPolls(ctx, c, ids, toks)
	time.Sleep(longWait / 2)
	mid, _ := app.Memory()
	ms, _ := app.MemStats()
	if path := os.Getenv("BENCH_HEAP_PROFILE"); path != "" {
		saveProfile(app.URL+"/debug/pprof/heap", path)
		saveProfile(app.URL+"/debug/pprof/goroutine?debug=1", path+".goroutines.txt")
	}
	ok, bad, firstErr := polls()
	took := time.Since(start)
	end, _ := app.Memory()
	notes := fmt.Sprintf("%d of %d polls came back 200 pending after %s (all returned within %s); App VmRSS idle %d MB, "+
		"peak while creating the 5,000 requests %d MB (VmHWM, then reset), mid-wait %d MB",
		ok, longPollers, longWait, took.Round(time.Second), idle.RSS>>10, created.HWM>>10, mid.RSS>>10)
	notes += fmt.Sprintf("; mid-wait Go runtime: %d goroutines, goroutine stacks %d MB, heap in use %d MB, obtained from the OS %d MB",
		ms.Goroutines, ms.StackInuse>>20, ms.HeapInuse>>20, ms.Sys>>20)
	if firstErr != "" {
		notes += "; first error: " + firstErr
	}
	hwm := end.HWM >> 10
	return []row{{
		Figure: "5,000 gates long-polling at once (bolt, GOMAXPROCS=2" + label + ")", Target: "no errors, App RSS ≤ 150 MB",
		Measured: fmt.Sprintf("%d errors, App peak RSS while 5,000 wait (VmHWM) %d MB", bad, hwm),
		Verdict:  verdict(bad == 0 && hwm <= 150), Command: "go run ./bench -only longpoll",
		Notes: notes + "; the polls use fresh connections (one each), not the ones that created the requests",
	}}, nil
}

// startPolls long-polls each request on its own goroutine (and, with the
// client's pool spent, its own connection); wait returns how many came
// back 200 still pending, how many did not, and the first failure.
func startPolls(ctx context.Context, c *apiClient, ids, toks []string) (wait func() (ok, bad int64, firstErr string)) {
	var okN, badN atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			code, v, err := c.do(ctx, "GET", "/api/v1/requests/"+ids[i]+"?wait="+longWait.String(), toks[i], nil)
			if err == nil && code == http.StatusOK && v.Status == gate.StatusPending {
				okN.Add(1)
				return
			}
			badN.Add(1)
			first.CompareAndSwap(nil, fmt.Sprintf("code %d status %q err %v", code, v.Status, err))
		})
	}
	return func() (int64, int64, string) {
		wg.Wait()
		s, _ := first.Load().(string)
		return okN.Load(), badN.Load(), s
	}
}

// createPending creates n pending requests, 64 at a time, 100 per run.
func createPending(ctx context.Context, e *env, c *apiClient, n int) (ids, toks []string, err error) {
	ids, toks = make([]string, n), make([]string, n)
	for i := 0; i < n; i += 100 {
		tok, err := e.world.Token(e.nextRun(), c.base)
		if err != nil {
			return nil, nil, err
		}
		for j := i; j < min(i+100, n); j++ {
			toks[j] = tok
		}
	}
	sem := make(chan struct{}, 64)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			code, v, cerr := c.do(ctx, "POST", "/api/v1/requests", toks[i], benchrig.CreateBody(fmt.Sprintf("./migrate.sh --tenant %d", i), fmt.Sprintf("lp-%d", i)))
			mu.Lock()
			defer mu.Unlock()
			if cerr != nil || code != http.StatusCreated {
				if err == nil {
					err = fmt.Errorf("creating pending request %d: %d %v", i, code, cerr)
				}
				return
			}
			ids[i] = v.ID
		})
	}
	wg.Wait()
	return ids, toks, err
}

// saveProfile fetches one pprof profile of the App child (diagnosis only).
func saveProfile(url, path string) {
	resp, err := http.Get(url)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
}
