package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/testutil"
)

// Connections trickling their headers (or idling) beyond Max are closed,
// oldest first; requests that arrive whole are served.
func TestConnGuardClosesOldestWaiting(t *testing.T) {
	t.Parallel()
	g, srv := guardedServer(t, 4, 20*time.Millisecond, false)
	addr := srv.Listener.Addr().String()
	var slow []net.Conn
	for range 10 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "POST /webhook HTTP/1.1\r\nHost: x\r\n") // headers never end
		slow = append(slow, c)
	}
	testutil.Eventually(t, 5*time.Second, func() bool { _, closed := g.Waiting(); return closed >= 6 }, "the oldest waiting connections closed")
	if n, _ := g.Waiting(); n > 4 {
		t.Errorf("%d connections waiting, max 4", n)
	}
	// The oldest were closed: a read sees EOF at once.
	_ = slow[0].SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := slow[0].Read(make([]byte, 1)); err == nil {
		t.Error("oldest slow connection still open")
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	resp, err := client.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatalf("a whole request under the trickle: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// A burst of whole requests larger than Max is served, none closed: new
// connections are young, so Accept waits for room instead of closing them,
// and the burst queues in the kernel. Trickling ones beyond Max are still
// closed once they have waited Grace, and then the burst gets in.
func TestConnGuardServesABurstAndClosesTricklers(t *testing.T) {
	t.Parallel()
	g, srv := guardedServer(t, 4, 200*time.Millisecond, true)
	addr := srv.Listener.Addr().String()
	for range 6 { // more tricklers than Max: Accept waits until the oldest are Grace old
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	errs := make(chan error, 40)
	for range 40 {
		go func() {
			resp, err := client.Get(srv.URL + "/")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			errs <- err
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Errorf("a whole request in the burst: %v", err)
		}
	}
	if _, closed := g.Waiting(); closed < 2 {
		t.Errorf("%d tricklers closed, want at least the 2 beyond Max", closed)
	}
}

// guardedServer serves "ok" behind a ConnGuard of max waiting connections
// and grace; with gated, through the guard's Listener too. Headers may take
// a minute (the guard, not ReadHeaderTimeout, is under test).
func guardedServer(t *testing.T, max int, grace time.Duration, gated bool) (*ConnGuard, *httptest.Server) {
	t.Helper()
	g := NewConnGuard(max)
	g.Grace = grace
	srv := httptest.NewUnstartedServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	srv.Config.ConnState, srv.Config.ConnContext = g.ConnState, g.ConnContext
	srv.Config.ReadHeaderTimeout = time.Minute
	if gated {
		srv.Listener = g.Listener(srv.Listener)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return g, srv
}
