package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/testutil"
)

// rawPost opens a connection to the harness and sends a POST /webhook with
// the given headers and the first part of its body, leaving the rest unsent.
func rawPost(t *testing.T, h *harness, header map[string]string, part []byte) net.Conn {
	t.Helper()
	u, _ := url.Parse(h.http.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "POST /webhook HTTP/1.1\r\nHost: %s\r\n", u.Host)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := c.Write(append([]byte(b.String()), part...)); err != nil {
		t.Fatal(err)
	}
	return c
}

// readStatus reads the status code of the answer on c within d; 0 when the
// connection was closed or reset without one.
func readStatus(t *testing.T, c net.Conn, d time.Duration) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("no answer within %v", d)
		}
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestWebhookOversizeRefusedFromLengthUnread(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	// Declares 26 MiB (over GitHub's 25 MB cap) and sends none of it: the
	// answer comes at once, without waiting for a body.
	c := rawPost(t, h, map[string]string{"Content-Length": fmt.Sprint(maxWebhookBody + 1<<20),
		"X-GitHub-Event": "check_run", "X-Hub-Signature-256": "sha256=00"}, nil)
	if code := readStatus(t, c, 2*time.Second); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("code = %d, want 413", code)
	}
}

func TestWebhookWithoutLengthRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	c := rawPost(t, h, map[string]string{"Transfer-Encoding": "chunked", "X-GitHub-Event": "check_run"}, []byte("5\r\nhello\r\n"))
	if code := readStatus(t, c, 2*time.Second); code != http.StatusLengthRequired {
		t.Fatalf("code = %d, want 411", code)
	}
}

// A large delivery of an event the App ignores is hashed as it streams: a
// signed one is accepted (202), an unsigned one refused (401); a large one
// of an event the App acts on is refused even when signed (413).
func TestWebhookLargeBodiesStreamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	big := map[string]any{"action": "created", "pad": strings.Repeat("x", 3<<20)}
	for _, tc := range []struct {
		event, secret string
		want          int
	}{
		{"push", testSecret, http.StatusAccepted},
		{"push", "", http.StatusUnauthorized},
		{"push", "wrong-secret", http.StatusUnauthorized},
		{"issue_comment", testSecret, http.StatusRequestEntityTooLarge},
		{"issue_comment", "", http.StatusUnauthorized},
	} {
		if code, body := h.webhook(tc.event, big, tc.secret, ""); code != tc.want {
			t.Errorf("%s signed with %q: %d %s, want %d", tc.event, tc.secret, code, body, tc.want)
		}
	}
}

// A body that does not arrive within the read deadline is dropped.
func TestWebhookSlowBodyDropped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{config: func(c *Config) { c.WebhookReadTimeout = 300 * time.Millisecond }})
	c := rawPost(t, h, map[string]string{"Content-Length": "60000", "X-GitHub-Event": "issue_comment",
		"X-Hub-Signature-256": sign(testSecret, nil)}, bytes.Repeat([]byte("a"), 1000))
	start := time.Now()
	code := readStatus(t, c, 3*time.Second)
	if code != http.StatusRequestTimeout && code != 0 {
		t.Fatalf("code = %d, want 408 or a closed connection", code)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("dropped after %v, want about 300ms", d)
	}
}

// Connections trickling their bodies fill the unsigned-read limit; a real
// delivery still gets in (the oldest trickler is dropped for it) and is
// answered at once.
func TestWebhookTricklersDoNotLockOutGitHub(t *testing.T) {
	t.Parallel()
	const limit = 8
	h := newHarness(t, harnessOpts{config: func(c *Config) { c.MaxUnsignedReads = limit }})
	var conns []net.Conn
	for range 3 * limit {
		conns = append(conns, rawPost(t, h, map[string]string{"Content-Length": "60000", "X-GitHub-Event": "issue_comment"},
			bytes.Repeat([]byte("a"), 100)))
	}
	testutil.Eventually(t, 5*time.Second, func() bool { n, _ := h.srv.unsigned.inFlight(); return n == limit }, fmt.Sprintf("%d unsigned reads in flight", limit))
	start := time.Now()
	if code, body := h.webhook("ping", map[string]any{"zen": "hi"}, testSecret, ""); code != http.StatusOK {
		t.Fatalf("signed ping under trickle: %d %s", code, body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("signed ping answered after %v, want < 1s", d)
	}
	if n, _ := h.srv.unsigned.inFlight(); n > limit {
		t.Errorf("%d unsigned reads in flight, limit %d", n, limit)
	}
	// The first tricklers were dropped to make room: their connections are
	// held unread in the tarpit, without a goroutine. A dropped read hands
	// its connection over on its own handler goroutine, so wait for it.
	testutil.Eventually(t, 5*time.Second, func() bool { return h.srv.tarpit.size() >= 2*limit }, fmt.Sprintf("the tarpit to hold the %d dropped tricklers", 2*limit))
	_ = conns
}

// The tarpit answers 408 and closes a held connection after its hold, and
// closes the oldest first when full.
func TestTarpitClosesHeldConnections(t *testing.T) {
	t.Parallel()
	tp := newTarpit(200*time.Millisecond, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tp.run(ctx)
	testutil.Eventually(t, 5*time.Second, func() bool { tp.mu.Lock(); defer tp.mu.Unlock(); return tp.running }, "the tarpit to run")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var clients []net.Conn
	for range 3 {
		a, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, a)
		tp.hold(b)
	}
	start := time.Now()
	// The first was closed at once (over the limit of 2), the others after
	// about 200ms, each with a 408.
	if code := readStatus(t, clients[0], 100*time.Millisecond); code != http.StatusRequestTimeout {
		t.Errorf("connection over the limit: code %d, want 408 at once", code)
	}
	for i, c := range clients[1:] {
		code := readStatus(t, c, 2*time.Second)
		if code != http.StatusRequestTimeout {
			t.Errorf("held connection %d: code %d, want 408", i, code)
		}
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 1500*time.Millisecond {
		t.Errorf("held for %v, want about 200ms", d)
	}
	if tp.size() != 0 {
		t.Errorf("tarpit still holds %d", tp.size())
	}
}

func TestReadGovernorDropsOldest(t *testing.T) {
	t.Parallel()
	g := newReadGovernor(2, 100, 1)
	var stopped []string
	stop := func(name string) func() { return func() { stopped = append(stopped, name) } }
	a, _ := g.admit(10, stop("a"))
	b, _ := g.admit(10, stop("b"))
	c, _ := g.admit(10, stop("c")) // count full: a goes
	if !g.release(a) || g.release(b) {
		t.Fatalf("a should have been dropped, b not")
	}
	d, _ := g.admit(95, stop("d")) // bytes: c goes
	if !g.release(c) {
		t.Fatalf("c should have been dropped for bytes")
	}
	if _, ok := g.admit(101, stop("e")); ok {
		t.Fatalf("a read larger than the budget was admitted")
	}
	if g.release(d) {
		t.Fatalf("d dropped")
	}
	if n, bytes := g.inFlight(); n != 0 || bytes != 0 {
		t.Fatalf("in flight after release: %d reads, %d bytes", n, bytes)
	}
	if got := strings.Join(stopped, ","); got != "a,c" {
		t.Fatalf("stopped %s, want a,c", got)
	}
}
