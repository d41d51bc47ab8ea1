package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

const (
	hostilePushers   = 64      // clients pushing unsigned 5 MiB bodies, back to back
	hostilePushSize  = 5 << 20 // bytes per pushed body
	hostileTricklers = 8000    // connections trickling partial bodies
	hostileDuration  = 20 * time.Second
	trickleDeclared  = 60000 // Content-Length each trickler declares
	trickleChunk     = 100   // bytes sent per tick
	trickleTick      = 500 * time.Millisecond
)

// benchHostile: while 64 clients push unsigned 5 MiB webhook bodies and
// 8,000 connections trickle partial bodies (each reconnecting at once
// when the App closes it; all from a separate attacker process), a
// reviewer's gate keeps working: every 250 ms a
// gate creates a request, a signed check-run click approves it and the
// gate reads the decision. The App child's VmHWM is the peak resident set
// of the attack phase; every probe call must be answered within 1 s.
func benchHostile(ctx context.Context, e *env) ([]row, error) {
	app, err := e.startBolt(ctx, "hostile", 2)
	if err != nil {
		return nil, err
	}
	defer app.Stop()
	// The same probes without the attack first: the machine is shared, so
	// the figure that matters is what the attack adds.
	base, err := probeUnderAttack(ctx, e, app, 5*time.Second)
	if err != nil {
		return nil, err
	}
	idle, _ := app.Memory()
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", app.PID()), []byte("5"), 0)
	// The attackers run in their own process, as they would on their own
	// machines: in the bench process their 8,000 goroutines would delay the
	// GitHub stand-in and the probing gate, not the App.
	att, err := startAttacker(ctx, strings.TrimPrefix(app.URL, "http://"))
	if err != nil {
		return nil, err
	}
	time.Sleep(3 * time.Second) // let the attack reach its steady state
	if path := os.Getenv("BENCH_CPU_PROFILE"); path != "" {
		go saveProfile(app.URL+"/debug/pprof/profile?seconds=10", path) // diagnosis only
	}
	probes, err := probeUnderAttack(ctx, e, app, hostileDuration)
	peakSample, _ := app.Memory()
	stats, _ := app.MemStats()
	counts, aerr := att.stop()
	if err != nil {
		return nil, err
	}
	if aerr != nil {
		return nil, aerr
	}
	after, _ := app.Memory()
	hwm := after.HWM / 1024
	worst := max(probes.maxCreate, probes.maxWebhook, probes.maxGet)
	ok := hwm <= 150 && probes.errors == 0 && worst <= time.Second
	return []row{{
		Figure: "under hostile load (64 unsigned 5 MiB bodies, 8,000 slow connections)",
		Target: "App RSS ≤ 150 MB; real webhooks and gates answered within 1 s",
		Measured: fmt.Sprintf("peak RSS (VmHWM) %d MB; slowest answer: create %s, signed click %s, read %s; %d probe errors",
			hwm, ms(probes.maxCreate), ms(probes.maxWebhook), ms(probes.maxGet), probes.errors),
		Verdict: verdict(ok), Command: "go run ./bench -only hostile",
		Notes: fmt.Sprintf("App child GOMAXPROCS=2, bolt with fsync, default memory limit; the attackers in a process of their own on the same 2 cores "+
			"(pushers: issue_comment deliveries with a wrong signature, sent back to back; tricklers: %d-byte bodies declared, %d bytes every %s, "+
			"a new connection as soon as the App closes one); "+
			"idle RSS %d MB, RSS during the attack %d MB (Go: %d goroutines, heap in use %d MB, stacks %d MB); "+
			"%d probe rounds over %s (gate create → signed check_run click → gate read, every 250 ms), p99 create %s, click %s, read %s "+
			"(without the attack, same run: slowest create %s, click %s, read %s); "+
			"attack: %d unsigned 5 MiB bodies sent in full, %d refused or cut before the end; %d trickling connections opened, %d dropped by the App",
			trickleDeclared, trickleChunk, trickleTick, idle.RSS/1024, peakSample.RSS/1024, stats.Goroutines, stats.HeapInuse>>20, stats.StackInuse>>20,
			probes.rounds, hostileDuration, ms(probes.p99Create), ms(probes.p99Webhook), ms(probes.p99Get),
			ms(base.maxCreate), ms(base.maxWebhook), ms(base.maxGet),
			counts.Pushed, counts.PushRefused, counts.TrickleConns, counts.TrickleDropped),
	}}, nil
}

// envInt reads a knob of the bench (diagnosis: run one attack alone).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v >= 0 {
		return v
	}
	return def
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// attackCounts is what the attacker process reports when stopped.
type attackCounts struct{ Pushed, PushRefused, TrickleConns, TrickleDropped int64 }

type attacker struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// startAttacker runs this executable again as the attacker process.
func startAttacker(ctx context.Context, addr string) (*attacker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	a := &attacker{cmd: exec.CommandContext(ctx, exe)}
	a.cmd.Env = append(os.Environ(), "BENCH_ATTACK_ADDR="+addr)
	a.cmd.Stdout, a.cmd.Stderr = &a.out, os.Stderr
	return a, a.cmd.Start()
}

func (a *attacker) stop() (attackCounts, error) {
	var c attackCounts
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	if err := a.cmd.Wait(); err != nil {
		return c, fmt.Errorf("attacker process: %w", err)
	}
	return c, json.Unmarshal(a.out.Bytes(), &c)
}

// runAttackerIfRequested is the attacker process (BENCH_ATTACK_ADDR set):
// 64 pushers and 8,000 tricklers against the App until SIGTERM, then the
// counts as JSON on stdout.
func runAttackerIfRequested() {
	addr := os.Getenv("BENCH_ATTACK_ADDR")
	if addr == "" {
		return
	}
	raiseNoFile()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var pushed, pushRefused, trickleConns, trickleDropped atomic.Int64
	var wg sync.WaitGroup
	pushers, tricklers := envInt("BENCH_HOSTILE_PUSHERS", hostilePushers), envInt("BENCH_HOSTILE_TRICKLERS", hostileTricklers)
	for range pushers {
		wg.Go(func() { push(ctx, addr, &pushed, &pushRefused) })
	}
	for i := range tricklers {
		wg.Go(func() {
			// Spread the first connections over a second, as a botnet would.
			sleepCtx(ctx, time.Duration(i)*time.Second/time.Duration(tricklers))
			trickle(ctx, addr, &trickleConns, &trickleDropped)
		})
	}
	wg.Wait()
	_ = json.NewEncoder(os.Stdout).Encode(attackCounts{pushed.Load(), pushRefused.Load(), trickleConns.Load(), trickleDropped.Load()})
	os.Exit(0)
}

// push sends unsigned 5 MiB issue_comment deliveries back to back.
func push(ctx context.Context, addr string, sent, refused *atomic.Int64) {
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = 'x'
	}
	for ctx.Err() == nil {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			refused.Add(1)
			sleepCtx(ctx, 50*time.Millisecond)
			continue
		}
		stopOnDone := context.AfterFunc(ctx, func() { c.Close() })
		_, err = fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
			"X-GitHub-Event: issue_comment\r\nX-GitHub-Delivery: forged\r\nX-Hub-Signature-256: sha256=%064x\r\n\r\n", addr, hostilePushSize, 0)
		for n := 0; err == nil && n < hostilePushSize; n += len(chunk) {
			_, err = c.Write(chunk)
		}
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, rerr := http.ReadResponse(bufio.NewReader(c), nil)
			if rerr == nil {
				resp.Body.Close()
			}
			sent.Add(1)
		} else {
			refused.Add(1)
		}
		stopOnDone()
		c.Close()
	}
}

// trickle keeps one connection sending a partial body slowly, and opens a
// new one whenever the App drops it.
func trickle(ctx context.Context, addr string, opened, dropped *atomic.Int64) {
	part := make([]byte, trickleChunk)
	for i := range part {
		part[i] = 'a'
	}
	for ctx.Err() == nil {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		opened.Add(1)
		stopOnDone := context.AfterFunc(ctx, func() { c.Close() })
		if os.Getenv("BENCH_HOSTILE_SLOW_HEADERS") != "" {
			// Variant: trickle header lines instead (never ending the headers).
			_, err = fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\n", addr)
			for err == nil && ctx.Err() == nil {
				_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if _, err = io.WriteString(c, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"); err == nil {
					sleepCtx(ctx, trickleTick)
				}
			}
		} else {
			_, err = fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
				"X-GitHub-Event: issue_comment\r\nX-Hub-Signature-256: sha256=%064x\r\n\r\n", addr, trickleDeclared, 0)
		}
		for sent := 0; err == nil && sent < trickleDeclared-trickleChunk && ctx.Err() == nil; sent += trickleChunk {
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err = c.Write(part); err == nil {
				sleepCtx(ctx, trickleTick)
			}
		}
		if ctx.Err() == nil {
			dropped.Add(1)
		}
		stopOnDone()
		c.Close()
	}
}

type probeResult struct {
	rounds, errors                int
	maxCreate, maxWebhook, maxGet time.Duration
	p99Create, p99Webhook, p99Get time.Duration
	createLat, webhookLat, getLat []time.Duration
	firstErr                      string
}

// probeUnderAttack runs one reviewer round every 250 ms for d (a failed
// round is counted and the next starts at once).
func probeUnderAttack(ctx context.Context, e *env, app *benchrig.App, d time.Duration) (probeResult, error) {
	tok, err := e.world.Token(e.nextRun(), app.URL)
	if err != nil {
		return probeResult{}, err
	}
	pr := &prober{e: e, app: app, tok: tok, c: &apiClient{base: app.URL, http: &http.Client{Timeout: 10 * time.Second}},
		hooks: &http.Client{Timeout: 10 * time.Second}}
	p := &pr.res
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		next := time.Now().Add(250 * time.Millisecond)
		p.rounds++
		if err := pr.round(ctx, i); err != nil {
			p.errors++
			if p.firstErr == "" {
				p.firstErr = err.Error()
			}
			continue
		}
		sleepCtx(ctx, time.Until(next))
	}
	for _, s := range []struct {
		lat   []time.Duration
		worst *time.Duration
		p99   *time.Duration
	}{{p.createLat, &p.maxCreate, &p.p99Create}, {p.webhookLat, &p.maxWebhook, &p.p99Webhook}, {p.getLat, &p.maxGet, &p.p99Get}} {
		*s.worst, *s.p99 = quantile(s.lat, 1), quantile(s.lat, 0.99)
	}
	if p.firstErr != "" {
		fmt.Fprintln(os.Stderr, "   first probe error:", p.firstErr)
	}
	return *p, nil
}

// prober is a reviewer's round trip while the App is under attack.
type prober struct {
	e     *env
	app   *benchrig.App
	tok   string
	c     *apiClient
	hooks *http.Client
	res   probeResult
}

// round creates request i, approves it with a signed click and reads the
// decision, timing each of the three calls.
func (pr *prober) round(ctx context.Context, i int) error {
	p := &pr.res
	t0 := time.Now()
	code, v, err := pr.c.do(ctx, "POST", "/api/v1/requests", pr.tok, benchrig.CreateBody(fmt.Sprintf("./deploy.sh --probe %d", i), fmt.Sprintf("probe-%d", i)))
	p.createLat = append(p.createLat, time.Since(t0))
	if err != nil || code != http.StatusCreated {
		return fmt.Errorf("create: %d %v", code, err)
	}
	if err := pr.click(ctx, i, v.ID); err != nil {
		return err
	}
	t2 := time.Now()
	code, v, err = pr.c.do(ctx, "GET", "/api/v1/requests/"+v.ID, pr.tok, nil)
	p.getLat = append(p.getLat, time.Since(t2))
	if err != nil || code != http.StatusOK || v.Status != gate.StatusApproved {
		return fmt.Errorf("read decision: %d %q %v", code, v.Status, err)
	}
	return nil
}

// click delivers the reviewer's signed approve click on request id's check
// run, timing the webhook call.
func (pr *prober) click(ctx context.Context, i int, id string) error {
	e := pr.e
	cr, err := e.world.CheckRun(ctx, id)
	if err != nil {
		return fmt.Errorf("check run of %s: %v", id, err)
	}
	payload, err := e.world.Standin.CheckRunRequestedActionPayload(benchrig.Repo, cr, "approve", benchrig.Reviewer)
	if err != nil {
		return fmt.Errorf("click payload: %v", err)
	}
	body, _ := json.Marshal(payload)
	req, _ := http.NewRequestWithContext(ctx, "POST", pr.app.URL+"/webhook", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "check_run")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("probe-%d-%d", e.runID.Load(), i))
	req.Header.Set("X-Hub-Signature-256", ghstandin.Sign(e.world.Secret, body))
	t1 := time.Now()
	resp, err := pr.hooks.Do(req)
	pr.res.webhookLat = append(pr.res.webhookLat, time.Since(t1))
	if err != nil || resp.StatusCode != http.StatusOK {
		if resp != nil {
			resp.Body.Close()
		}
		return fmt.Errorf("signed click: %v %v", err, resp)
	}
	resp.Body.Close()
	return nil
}
