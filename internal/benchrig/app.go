package benchrig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// AppConfig is one App child process. The child is this same executable
// (the bench binary or a test binary) re-run with STEPGATE_RIG_CHILD=app:
// see RunChildIfRequested. It is configured and wired exactly as `stepgate
// serve` is (app/wiring: LoadConfig from STEPGATE_* variables, then New):
// the real GitHub client (ghclient) pointed at the stand-in, OIDC against
// the rig's issuer; only the store is opened by the rig, to count
// DynamoDB calls. STEPGATE_* variables of the parent's environment that
// AppConfig does not set (STEPGATE_NO_PARKING, …) reach the child as they
// would reach serve.
type AppConfig struct {
	Addr           string // 127.0.0.1:PORT; "" picks a free port
	Store          string // bolt:PATH or dynamodb:TABLE
	DynamoEndpoint string // for dynamodb:TABLE
	GitHubURL      string
	AppID          int64
	PrivateKeyPEM  []byte
	WebhookSecret  string
	Issuer         string
	PollInterval   time.Duration // cross-replica wake-up poll (0: the App's default)
	SweepInterval  time.Duration // (0: the App's default)
	MaxProcs       int           // GOMAXPROCS of the child (0: inherit)
	NoSync         bool          // bolt without fsync (never for measurements)
	Env            []string      // extra environment (e.g. GOMEMLIMIT=100MiB, STEPGATE_MEMORY_LIMIT=off)
	Log            io.Writer     // the child's stderr (nil: discarded)
}

// App is a running App child process.
type App struct {
	cfg  AppConfig
	cmd  *exec.Cmd
	URL  string
	done chan struct{}
	werr error
}

// FreeAddr returns a free 127.0.0.1 port.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// StartApp starts the child and waits until /healthz answers.
func StartApp(ctx context.Context, cfg AppConfig) (*App, error) {
	if cfg.Addr == "" {
		a, err := FreeAddr()
		if err != nil {
			return nil, err
		}
		cfg.Addr = a
	}
	keyFile, err := os.CreateTemp("", "rig-key-*.pem")
	if err != nil {
		return nil, err
	}
	if _, err := keyFile.Write(cfg.PrivateKeyPEM); err != nil {
		return nil, err
	}
	keyFile.Close()
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-test.run=^$")
	// serve's variables (app/wiring), after the inherited ones so they win.
	cmd.Env = append(os.Environ(), "STEPGATE_RIG_CHILD=app",
		"STEPGATE_ADDR="+cfg.Addr, "STEPGATE_PUBLIC_URL=http://"+cfg.Addr, "STEPGATE_STORE="+cfg.Store,
		"STEPGATE_GITHUB_API_URL="+cfg.GitHubURL, "STEPGATE_GITHUB_APP_ID="+strconv.FormatInt(cfg.AppID, 10),
		"STEPGATE_GITHUB_PRIVATE_KEY=", "STEPGATE_GITHUB_PRIVATE_KEY_FILE="+keyFile.Name(),
		"STEPGATE_WEBHOOK_SECRET="+cfg.WebhookSecret, "STEPGATE_OIDC_ISSUER="+cfg.Issuer, "STEPGATE_GITHUB_APP_SLUG=stepgate",
		"RIG_DYNAMO_ENDPOINT="+cfg.DynamoEndpoint, "RIG_NOSYNC="+strconv.FormatBool(cfg.NoSync))
	for v, d := range map[string]time.Duration{"STEPGATE_POLL_INTERVAL": cfg.PollInterval, "STEPGATE_SWEEP_INTERVAL": cfg.SweepInterval} {
		if d > 0 {
			cmd.Env = append(cmd.Env, v+"="+d.String())
		}
	}
	cmd.Env = append(cmd.Env, cfg.Env...)
	if cfg.MaxProcs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(cfg.MaxProcs))
	}
	cmd.Stdout = cfg.Log
	cmd.Stderr = cfg.Log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the App child: %w", err)
	}
	a := &App{cfg: cfg, cmd: cmd, URL: "http://" + cfg.Addr, done: make(chan struct{})}
	go func() { a.werr = cmd.Wait(); os.Remove(keyFile.Name()); close(a.done) }()
	if err := a.waitHealthy(ctx, 20*time.Second); err != nil {
		a.Kill()
		return nil, err
	}
	return a, nil
}

func (a *App) waitHealthy(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-a.done:
			return fmt.Errorf("the App child exited at start: %v", a.werr)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := http.Get(a.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the App child did not become healthy in time")
}

// Config returns the configuration the child was started with (Addr filled in).
func (a *App) Config() AppConfig { return a.cfg }

// PID is the child's process id.
func (a *App) PID() int { return a.cmd.Process.Pid }

// Kill sends SIGKILL and waits for the exit.
func (a *App) Kill() {
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
}

// Stop sends SIGTERM and waits (SIGKILL after 10s).
func (a *App) Stop() {
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		a.Kill()
	}
}

// Memory is the child's resident set from /proc/PID/status, in KiB.
type Memory struct{ HWM, RSS int64 }

// Memory reads VmHWM (peak) and VmRSS.
func (a *App) Memory() (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", a.PID()))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			m.HWM = n
		case "VmRSS":
			m.RSS = n
		}
	}
	return m, nil
}

// DynamoOps are the DynamoDB calls the child made, by operation.
type DynamoOps map[string]int64

// DynamoOps reads the child's counters (dynamodb stores only).
func (a *App) DynamoOps() (DynamoOps, error) {
	resp, err := http.Get(a.URL + rigStatsPath)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var ops DynamoOps
	if err := json.NewDecoder(resp.Body).Decode(&ops); err != nil {
		return nil, fmt.Errorf("decoding dynamo stats: %w", err)
	}
	return ops, nil
}

// Sub returns o - before.
func (o DynamoOps) Sub(before DynamoOps) DynamoOps {
	d := DynamoOps{}
	for k, v := range o {
		if n := v - before[k]; n != 0 {
			d[k] = n
		}
	}
	return d
}

const rigStatsPath = "/_rig/dynamo-ops"

// discardLogger is the child's logger when no RIG_LOG is set.
func childLogger() *slog.Logger {
	if os.Getenv("RIG_LOG") != "" {
		return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// CPU is the child's user+system CPU time so far (from /proc/PID/stat),
// which says what a call costs even when other processes load the machine.
func (a *App) CPU() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", a.PID()))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 (1-based), in clock ticks of 1/100 s on Linux.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat: %q", s)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

const rigMemPath = "/_rig/memstats"

// MemStats is the part of the child's runtime.MemStats the bench reports.
type MemStats struct {
	HeapInuse, StackInuse, Sys uint64
	Goroutines                 int
	NumGC                      uint32
}

// MemStats reads the child's Go memory statistics.
func (a *App) MemStats() (MemStats, error) {
	var m MemStats
	resp, err := http.Get(a.URL + rigMemPath)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	return m, json.NewDecoder(resp.Body).Decode(&m)
}
