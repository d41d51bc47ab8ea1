package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
)

// apiClient calls the gate API directly with pre-minted tokens.
type apiClient struct {
	base string
	http *http.Client
}

func (c *apiClient) do(ctx context.Context, method, path, token string, body any) (int, gate.RequestView, error) {
	var rdr *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rdr = bytes.NewReader(b)
	} else {
		rdr = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rdr)
	if err != nil {
		return 0, gate.RequestView{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, gate.RequestView{}, err
	}
	defer resp.Body.Close()
	var v gate.RequestView
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v, nil
}

// benchPollingBaseline measures what DESIGN.md's reference point costs:
// 12 clients that poll every 10 s (random phase, as real runners start at
// random times) instead of long-polling. Each waits for its own request,
// approved by a click; latency runs from the accepted webhook to the poll
// that sees the decision.
func benchPollingBaseline(ctx context.Context, e *env) ([]row, error) {
	app, err := e.startBolt(ctx, "polling", 0)
	if err != nil {
		return nil, err
	}
	defer app.Stop()
	const k, interval = 12, 10 * time.Second
	c := &apiClient{base: app.URL, http: &http.Client{Timeout: 30 * time.Second}}
	runID := e.nextRun()
	tok, err := e.world.Token(runID, app.URL)
	if err != nil {
		return nil, err
	}
	ids, crs := make([]string, k), make([]int64, k)
	for i := range k {
		code, v, err := c.do(ctx, "POST", "/api/v1/requests", tok, benchrig.CreateBody(fmt.Sprintf("echo polled %d", i), fmt.Sprintf("poll-%d", i)))
		if err != nil || code != http.StatusCreated {
			return nil, fmt.Errorf("creating request %d: %d %v", i, code, err)
		}
		ids[i] = v.ID
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		crs[i], err = e.world.CheckRun(cctx, v.ID)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	start := time.Now()
	seen := make([]time.Time, k)
	var wg sync.WaitGroup
	for i := range k {
		phase := time.Duration(rand.Int64N(int64(interval)))
		wg.Go(func() { seen[i] = pollUntilApproved(ctx, c, ids[i], tok, phase, interval) })
	}
	accepted := make([]time.Time, k)
	for i := range k {
		time.Sleep(time.Until(start.Add(2*time.Second + time.Duration(i)*500*time.Millisecond)))
		if _, err := e.world.Standin.ClickAction(benchrig.Repo, crs[i], "approve", benchrig.Reviewer); err != nil {
			return nil, err
		}
		accepted[i] = time.Now()
	}
	wg.Wait()
	var lat []time.Duration
	for i := range k {
		if seen[i].IsZero() {
			return nil, fmt.Errorf("poller %d never saw its decision", i)
		}
		lat = append(lat, seen[i].Sub(accepted[i]))
	}
	med := quantile(lat, 0.5)
	return []row{{
		Figure: "reference: polling every 10 s instead of long-polling", Target: "(baseline: ≈ 5 s median)",
		Measured: fmt.Sprintf("median %s, max %s (n=%d)", ms(med), ms(quantile(lat, 1)), k),
		Verdict:  "info", Command: "go run ./bench -only polling",
		Notes: "12 concurrent pollers with random phase against the same App; a GitHub-polling action also spends ~360 API calls per waiting hour, stepgate 0",
	}}, nil
}

// pollUntilApproved GETs the request every interval, starting after phase,
// and returns when it first saw it approved (zero if ctx ended first).
func pollUntilApproved(ctx context.Context, c *apiClient, id, tok string, phase, interval time.Duration) time.Time {
	t := time.NewTimer(phase)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return time.Time{}
		case <-t.C:
		}
		_, v, err := c.do(ctx, "GET", "/api/v1/requests/"+id, tok, nil)
		if err == nil && v.Status == gate.StatusApproved {
			return time.Now()
		}
		t.Reset(interval)
	}
}
