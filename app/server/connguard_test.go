package server

import (
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
	g := NewConnGuard(4)
	srv := httptest.NewUnstartedServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	srv.Config.ConnState, srv.Config.ConnContext = g.ConnState, g.ConnContext
	srv.Config.ReadHeaderTimeout = time.Minute
	srv.Start()
	defer srv.Close()
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
