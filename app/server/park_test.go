package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/testutil"
)

// waitParked waits until n polls are parked on s.
func waitParked(t *testing.T, s *Server, n int) {
	t.Helper()
	testutil.Eventually(t, 5*time.Second, func() bool { return s.poll.Parked() == n }, fmt.Sprintf("%d parked polls", n))
}

// parkingHarness is a harness whose dispatcher already accepts parked polls.
func parkingHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := newHarness(t, o)
	testutil.Eventually(t, 5*time.Second, h.srv.poll.CanPark, "parking to start")
	return h
}

// apiCount reads stepgate_gate_api_requests_total{route, code}.
func apiCount(t *testing.T, s *Server, route, code string) float64 {
	t.Helper()
	var m dto.Metric
	if err := s.metrics.api.WithLabelValues(route, code).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

type polled struct {
	resp *http.Response
	body []byte
	err  error
}

// poll GETs path on base in the background over its own connection.
func poll(base, path, tok string) <-chan polled {
	out := make(chan polled, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			out <- polled{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- polled{resp: resp, body: b, err: err}
	}()
	return out
}

func (p polled) view(t *testing.T) gate.RequestView {
	t.Helper()
	if p.err != nil {
		t.Fatal(p.err)
	}
	var v gate.RequestView
	if err := json.Unmarshal(p.body, &v); err != nil {
		t.Fatalf("decoding %q: %v", p.body, err)
	}
	return v
}

func (h *harness) cancelRequest(tok, id string) {
	h.t.Helper()
	if resp, b := h.do("POST", "/api/v1/requests/"+id+"/cancel", tok, nil); resp.StatusCode != 200 {
		h.t.Fatalf("cancel = %d %s", resp.StatusCode, b)
	}
}

// A decision made while the poll is parked is written to the parked
// connection: the same bytes and headers as a poll answered at once.
func TestParkedPollGetsDecision(t *testing.T) {
	t.Parallel()
	h := parkingHarness(t, harnessOpts{})
	tok := h.newRun()
	id, _ := h.pendingRequest(tok, "./deploy.sh")
	got := poll(h.http.URL, "/api/v1/requests/"+id+"?wait=5s", tok)
	waitParked(t, h.srv, 1)
	if n := h.srv.poll.Waiting(); n != 1 {
		t.Errorf("waiting gates = %d, want 1", n)
	}
	h.cancelRequest(tok, id)
	p := <-got
	if v := p.view(t); v.Status != gate.StatusCancelled {
		t.Fatalf("parked poll answered %s, want cancelled", v.Status)
	}
	resp, want := h.do("GET", "/api/v1/requests/"+id, tok, nil)
	if string(p.body) != string(want) {
		t.Errorf("parked body differs from a direct answer:\n got %s\nwant %s", p.body, want)
	}
	for _, k := range []string{"Content-Type", "Cache-Control"} {
		if g, w := p.resp.Header.Get(k), resp.Header.Get(k); g != w {
			t.Errorf("header %s = %q, want %q", k, g, w)
		}
	}
	if !p.resp.Close || p.resp.StatusCode != 200 {
		t.Errorf("answer: code %d, close %v; want 200 with Connection: close", p.resp.StatusCode, p.resp.Close)
	}
	if n := h.srv.poll.Waiting(); n != 0 {
		t.Errorf("waiting gates after the answer = %d, want 0", n)
	}
	if got := apiCount(t, h.srv, "get", "200"); got != 2 {
		t.Errorf("get 200 counted %v times, want 2 (parked and direct)", got)
	}
}

// A parked poll whose wait ends is answered "still pending" on time.
func TestParkedPollDeadlineAnswersPending(t *testing.T) {
	t.Parallel()
	h := parkingHarness(t, harnessOpts{})
	tok := h.newRun()
	id, _ := h.pendingRequest(tok, "./deploy.sh")
	start := time.Now()
	got := poll(h.http.URL, "/api/v1/requests/"+id+"?wait=300ms", tok)
	waitParked(t, h.srv, 1)
	p := <-got
	took := time.Since(start)
	if v := p.view(t); p.resp.StatusCode != 200 || v.Status != gate.StatusPending || v.ID != id {
		t.Fatalf("answer %d %s %s, want 200 pending %s", p.resp.StatusCode, v.Status, v.ID, id)
	}
	if took < 300*time.Millisecond || took > 3*time.Second {
		t.Errorf("answered after %v, want just after the 300ms wait", took)
	}
	if n, w := h.srv.poll.Waiting(), h.srv.poll.Parked(); n != 0 || w != 0 {
		t.Errorf("after the answer: %d waiting, %d parked; want none", n, w)
	}
}

// A parked poll of a request that expires meanwhile is answered expired.
func TestParkedPollExpires(t *testing.T) {
	t.Parallel()
	h := parkingHarness(t, harnessOpts{clock: true})
	tok := h.newRun()
	id, _ := h.pendingRequest(tok, "./deploy.sh")
	got := poll(h.http.URL, "/api/v1/requests/"+id+"?wait=1s", tok)
	waitParked(t, h.srv, 1)
	h.advance(2 * time.Hour)
	if v := (<-got).view(t); v.Status != gate.StatusExpired {
		t.Fatalf("status %s, want expired", v.Status)
	}
}

// A gate that hangs up while parked leaves nothing behind once its poll
// is due or decided, whichever comes first.
func TestParkedPollClientGone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		wait   string
		decide bool
	}{
		{"wait ends", "500ms", false},
		{"decision", "5s", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := parkingHarness(t, harnessOpts{})
			tok := h.newRun()
			id, _ := h.pendingRequest(tok, "./deploy.sh")
			c, err := net.Dial("tcp", strings.TrimPrefix(h.http.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "GET /api/v1/requests/%s?wait=%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", id, tt.wait, tok)
			waitParked(t, h.srv, 1)
			c.Close()
			if tt.decide {
				h.cancelRequest(tok, id)
			}
			testutil.Eventually(t, 5*time.Second, func() bool {
				return apiCount(t, h.srv, "get", "200")+apiCount(t, h.srv, "get", "0") == 1
			}, "the parked poll to be answered")
			if entries, parked, total := h.srv.poll.Held(); entries != 0 || parked != 0 || total != 0 {
				t.Errorf("hub keeps %d entries, %d parked, total %d; want none", entries, parked, total)
			}
		})
	}
}

// One decision answers every gate parked on the request.
func TestManyParkedPollsOneDecision(t *testing.T) {
	t.Parallel()
	const n = 200
	h := parkingHarness(t, harnessOpts{})
	tok := h.newRun()
	id, _ := h.pendingRequest(tok, "./deploy.sh")
	var polls []<-chan polled
	for range n {
		polls = append(polls, poll(h.http.URL, "/api/v1/requests/"+id+"?wait=5s", tok))
	}
	waitParked(t, h.srv, n)
	start := time.Now()
	h.cancelRequest(tok, id)
	for i, c := range polls {
		if v := (<-c).view(t); v.Status != gate.StatusCancelled {
			t.Fatalf("poll %d: %s, want cancelled", i, v.Status)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answering %d parked polls took %v", n, took)
	}
	if got := apiCount(t, h.srv, "get", "200"); got != n {
		t.Errorf("get 200 counted %v times, want %d", got, n)
	}
}

// When Run stops, parked polls are answered 503 with Retry-After (the
// gate retries elsewhere), and later polls wait on their goroutine.
func TestParkedPollsAnsweredOnShutdown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b, err := New(Config{Store: h.st, GitHub: h.gh.newClient(t, nil), PublicURL: publicURL, OIDCIssuer: h.iss.URL(),
		WebhookSecrets: []string{testSecret}, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	bHTTP := httptest.NewServer(b.Handler())
	t.Cleanup(bHTTP.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = b.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	testutil.Eventually(t, 5*time.Second, b.poll.CanPark, "parking to start")
	tok := h.newRun()
	id, _ := h.pendingRequest(tok, "./deploy.sh")
	got := poll(bHTTP.URL, "/api/v1/requests/"+id+"?wait=30s", tok)
	waitParked(t, b, 1)
	cancel()
	p := <-got
	// Retry-After is drawn from 1–5 s, so gates parked together do not all
	// come back in the same second (internal/retry).
	if ra := p.resp.Header.Get("Retry-After"); p.err != nil || p.resp.StatusCode != 503 || ra < "1" || ra > "5" || len(ra) != 1 {
		t.Fatalf("on shutdown: %v %v %s, want 503 with Retry-After 1-5", p.err, p.resp, p.body)
	}
	wg.Wait()
	if v := (<-poll(bHTTP.URL, "/api/v1/requests/"+id+"?wait=200ms", tok)).view(t); v.Status != gate.StatusPending {
		t.Errorf("after Run: %s, want pending", v.Status)
	}
}

// HTTP/2 streams cannot be hijacked, and NoParking turns parking off:
// both wait on the handler goroutine and still get the decision.
func TestGoroutineWaitersGetDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		http2     bool
		noParking bool
	}{
		{"http2", true, false},
		{"no parking", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{noParking: tt.noParking})
			if !tt.noParking {
				testutil.Eventually(t, 5*time.Second, h.srv.poll.CanPark, "parking to start")
			}
			base, client := h.http.URL, http.DefaultClient
			if tt.http2 {
				ts := httptest.NewUnstartedServer(h.srv.Handler())
				ts.EnableHTTP2 = true
				ts.StartTLS()
				t.Cleanup(ts.Close)
				base, client = ts.URL, ts.Client()
			}
			tok := h.newRun()
			id, _ := h.pendingRequest(tok, "./deploy.sh")
			got := make(chan polled, 1)
			go func() {
				req, _ := http.NewRequest("GET", base+"/api/v1/requests/"+id+"?wait=5s", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					got <- polled{err: err}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(bufio.NewReader(resp.Body))
				got <- polled{resp: resp, body: b}
			}()
			testutil.Eventually(t, 5*time.Second, func() bool { return h.srv.poll.Waiting() == 1 }, "the gate to wait")
			if n := h.srv.poll.Parked(); n != 0 {
				t.Fatalf("%d parked, want the goroutine path", n)
			}
			h.cancelRequest(tok, id)
			p := <-got
			if v := p.view(t); v.Status != gate.StatusCancelled || (tt.http2 && p.resp.ProtoMajor != 2) {
				t.Errorf("answer %s over HTTP/%d, want cancelled", v.Status, p.resp.ProtoMajor)
			}
		})
	}
}
