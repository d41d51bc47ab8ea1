package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stepgate/stepgate/internal/benchrig"
)

// row is one line of the report.
type row struct {
	Figure   string
	Target   string
	Measured string
	Verdict  string // pass, miss, info, error
	Command  string
	Notes    string
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "miss"
}

// env is what every figure shares: the world (stand-in, issuer), a temp
// dir, and dynalite when a figure needs it.
type env struct {
	n       int
	verbose bool
	dir     string
	world   *benchrig.World
	dyn     *benchrig.Dynalite
	dynEP   string
	runID   atomic.Int64
	tables  atomic.Int64
}

func newEnv(n int, verbose bool) (*env, error) {
	dir, err := os.MkdirTemp("", "stepgate-bench-")
	if err != nil {
		return nil, err
	}
	w, err := benchrig.NewWorld(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	e := &env{n: n, verbose: verbose, dir: dir, world: w}
	e.runID.Store(time.Now().Unix() * 1000)
	return e, nil
}

func (e *env) close() {
	if e.dyn != nil {
		e.dyn.Stop()
	}
	e.world.Close()
	os.RemoveAll(e.dir)
}

func (e *env) nextRun() int64 { return e.runID.Add(1) }

// startBolt starts an App child on a fresh bolt file (fsync on: as shipped).
func (e *env) startBolt(ctx context.Context, name string, procs int, extraEnv ...string) (*benchrig.App, error) {
	cfg := e.world.AppConfig("bolt:" + filepath.Join(e.dir, name+".db"))
	cfg.MaxProcs, cfg.Log, cfg.Env = procs, logWriter(e.verbose), extraEnv
	app, err := benchrig.StartApp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	e.world.Standin.SetWebhookTarget(app.URL + "/webhook")
	return app, nil
}

// dynamoEndpoint returns STEPGATE_TEST_DYNAMODB_ENDPOINT, or starts dynalite.
func (e *env) dynamoEndpoint() (string, error) {
	if e.dynEP != "" {
		return e.dynEP, nil
	}
	if ep := os.Getenv("STEPGATE_TEST_DYNAMODB_ENDPOINT"); ep != "" {
		e.dynEP = ep
		return ep, nil
	}
	d, err := benchrig.StartDynalite("", logWriter(e.verbose))
	if err != nil {
		return "", fmt.Errorf("starting dynalite (run `npm ci` first, or set STEPGATE_TEST_DYNAMODB_ENDPOINT): %w", err)
	}
	e.dyn, e.dynEP = d, d.Endpoint()
	return e.dynEP, nil
}

// startDynamo starts n App replicas sharing one fresh table.
func (e *env) startDynamo(ctx context.Context, n int) ([]*benchrig.App, error) {
	ep, err := e.dynamoEndpoint()
	if err != nil {
		return nil, err
	}
	table := fmt.Sprintf("stepgate-bench-%d-%d", time.Now().Unix(), e.tables.Add(1))
	var apps []*benchrig.App
	for range n {
		cfg := e.world.AppConfig("dynamodb:" + table)
		cfg.DynamoEndpoint, cfg.Log = ep, logWriter(e.verbose)
		app, err := benchrig.StartApp(ctx, cfg)
		if err != nil {
			for _, a := range apps {
				a.Stop()
			}
			return nil, err
		}
		apps = append(apps, app)
	}
	return apps, nil
}

// machine describes this host for the report.
func (e *env) machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		mem = strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1] + " kB RAM"
	}
	kernel, _ := exec.Command("uname", "-sr").Output()
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d logical CPUs, %s, %s, %s %s/%s; load average at the end of the run %s (1/5/15 min; "+
		"other processes shared the machine: wall-clock rates are lower bounds, CPU-normalised figures are given beside them)",
		cpu, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)), runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}

// quantile of sorted durations.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
