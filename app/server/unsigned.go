package server

import (
	"container/list"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Unsigned webhook reads (invariant 12). Until its body has been read, a
// delivery is anyone's: its signature covers the body. What such reads may
// cost is bounded three ways:
//
//   - how many are in flight and how many bytes they may buffer
//     (readGovernor): when either is full, the OLDEST read in flight is
//     dropped to make room. GitHub sends a delivery in one burst, so a real
//     one finishes in milliseconds and is never the oldest for long, while
//     a connection trickling its body is; refusing newcomers instead would
//     let 1,000 trickling connections lock GitHub out.
//   - how long one may take (a read deadline from the declared length);
//   - how many large bodies are hashed at once, and how fast (CPU), waiting
//     briefly for a slot and then refused.
//
// A read dropped to make room is not answered and closed (its client
// would reconnect at once, and the churn of thousands of reconnecting
// tricklers costs more CPU than their reads): its connection is taken from
// net/http, which frees its goroutine and buffers, and held unread in a
// tarpit for tarpitHold, then answered 408 and closed.
//
// Deliveries of events the App acts on are buffered (bounded); larger or
// other ones are hashed as they stream and dropped, so they cost a small
// chunk buffer whatever their size.
const (
	// maxWebhookBody is GitHub's cap on webhook payloads (25 MB): a
	// delivery larger than that is not GitHub's and is refused from its
	// Content-Length, unread.
	maxWebhookBody = 25 << 20
	// maxBufferedBody bounds the events the App acts on (check_run,
	// issue_comment, commit_comment, installation, …). Their largest real
	// payloads carry a comment and an issue body of up to 65,536 characters
	// each (< 1 MiB even with JSON escapes); twice that leaves room.
	maxBufferedBody = 2 << 20
	// streamChunk is the buffer a streamed (hashed and dropped) body uses.
	streamChunk = 32 << 10
	// largeBody is where a body starts to need a hashing slot.
	largeBody = 256 << 10
	// minBodyRate is the slowest body accepted past the base read timeout.
	minBodyRate = 256 << 10 // bytes per second
	// largeBodyRate paces the hashing of one large body: a 25 MB delivery
	// still takes under 2 s, and two attackers pushing at full speed cost
	// a few percent of a core instead of all of it.
	largeBodyRate = 16 << 20 // bytes per second
	// tarpitHold is how long a dropped read's connection is held unread;
	// maxTarpit bounds how many are held (the oldest is closed first).
	tarpitHold = 30 * time.Second
	maxTarpit  = 10000
)

// Defaults of the unsigned-read limits (Config overrides them).
const (
	defaultMaxUnsignedReads = 1024
	defaultMaxUnsignedBytes = 32 << 20
	defaultLargeReads       = 2
	defaultWebhookRead      = 10 * time.Second
	largeSlotWait           = 2 * time.Second
)

// readGovernor admits unsigned reads within a count and a byte budget,
// dropping the oldest read in flight when a newcomer does not fit.
type readGovernor struct {
	maxReads int
	maxBytes int64
	large    chan struct{} // hashing slots for bodies over largeBody

	mu    sync.Mutex
	order *list.List // of *unsignedRead, oldest first
	bytes int64
	// dropped counts reads dropped to make room (metrics, tests).
	dropped int64
}

// unsignedRead is one admitted read. stop interrupts it (its read deadline
// is moved to now); it is called under the governor's lock, only while the
// read is admitted, so it never touches a later request on the connection.
type unsignedRead struct {
	weight  int64
	elem    *list.Element
	stop    func()
	evicted bool
}

func newReadGovernor(maxReads int, maxBytes int64, large int) *readGovernor {
	return &readGovernor{maxReads: maxReads, maxBytes: maxBytes, large: make(chan struct{}, large), order: list.New()}
}

// admit registers a read that may buffer weight bytes, dropping the oldest
// reads until it fits. A weight larger than the whole budget is refused.
func (g *readGovernor) admit(weight int64, stop func()) (*unsignedRead, bool) {
	if weight > g.maxBytes {
		return nil, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.order.Len() >= g.maxReads || g.bytes+weight > g.maxBytes {
		old := g.order.Remove(g.order.Front()).(*unsignedRead)
		old.evicted = true
		g.bytes -= old.weight
		g.dropped++
		old.stop()
	}
	r := &unsignedRead{weight: weight, stop: stop}
	r.elem = g.order.PushBack(r)
	g.bytes += weight
	return r, true
}

// release ends a read; it reports whether the read was dropped meanwhile.
func (g *readGovernor) release(r *unsignedRead) (evicted bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.evicted {
		return true
	}
	g.order.Remove(r.elem)
	g.bytes -= r.weight
	r.evicted = true // stop is never called after release
	return false
}

// inFlight returns the number of admitted reads and their bytes.
func (g *readGovernor) inFlight() (int, int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.order.Len(), g.bytes
}

// largeSlot waits up to wait for a hashing slot; the returned func frees it.
func (g *readGovernor) largeSlot(ctx context.Context, wait time.Duration) (func(), bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case g.large <- struct{}{}:
		return func() { <-g.large }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// bodyDeadline is how long a body of n bytes may take to arrive.
func bodyDeadline(base time.Duration, n int64) time.Duration {
	return base + time.Duration(n/minBodyRate)*time.Second
}

// refuse answers a request whose body the App will not read (too large,
// too slow, no room) with a short, fixed answer and closes the connection
// at once, so an unread body costs neither a drain nor a lingering close.
// Without a hijackable connection (HTTP/2) it answers normally with
// Connection: close.
func refuse(w http.ResponseWriter, code int, msg string) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		w.Header().Set("Connection", "close")
		writeError(w, code, msg)
		return
	}
	defer conn.Close()
	body := `{"error":` + strconv.Quote(msg) + "}\n" // msg is plain ASCII: Quote is JSON
	retry := ""
	if code == http.StatusServiceUnavailable {
		retry = "Retry-After: 1\r\n"
	}
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(brw, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, http.StatusText(code), retry, len(body), body)
	_ = brw.Flush()
}

// tarpit holds connections taken from net/http without reading them and
// closes them (with a 408) after tarpitHold. A held connection costs its
// descriptor and kernel buffers, no goroutine and no Go buffers.
type tarpit struct {
	holdFor time.Duration
	max     int

	mu      sync.Mutex
	held    *list.List // of heldConn, oldest first (deadlines in the same order)
	running bool
	wake    chan struct{}
}

type heldConn struct {
	c     net.Conn
	until time.Time
}

func newTarpit(holdFor time.Duration, max int) *tarpit {
	return &tarpit{holdFor: holdFor, max: max, held: list.New(), wake: make(chan struct{}, 1)}
}

// hold takes c; without a running tarpit (Run not started) c is closed.
func (t *tarpit) hold(c net.Conn) {
	t.mu.Lock()
	if !t.running {
		t.mu.Unlock()
		closeTimedOut(c)
		return
	}
	t.held.PushBack(heldConn{c: c, until: time.Now().Add(t.holdFor)})
	var over net.Conn
	if t.held.Len() > t.max {
		over = t.held.Remove(t.held.Front()).(heldConn).c
	}
	first := t.held.Len() == 1
	t.mu.Unlock()
	if over != nil {
		closeTimedOut(over)
	}
	if first {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

func (t *tarpit) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.held.Len()
}

// run closes held connections as they come due, and all of them when ctx
// is done.
func (t *tarpit) run(ctx context.Context) {
	t.mu.Lock()
	t.running = true
	t.mu.Unlock()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var due []net.Conn
		next := time.Hour
		t.mu.Lock()
		for t.held.Len() > 0 {
			h := t.held.Front().Value.(heldConn)
			if d := time.Until(h.until); d > 0 {
				next = d
				break
			}
			t.held.Remove(t.held.Front())
			due = append(due, h.c)
		}
		t.mu.Unlock()
		for _, c := range due {
			closeTimedOut(c)
		}
		timer.Reset(next)
		select {
		case <-ctx.Done():
			t.mu.Lock()
			t.running = false
			for t.held.Len() > 0 {
				due = append(due, t.held.Remove(t.held.Front()).(heldConn).c)
			}
			t.mu.Unlock()
			for _, c := range due {
				closeTimedOut(c)
			}
			return
		case <-t.wake:
		case <-timer.C:
		}
	}
}

const timedOutAnswer = "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: 25\r\nConnection: close\r\n\r\n{\"error\":\"body too slow\"}\n"

func closeTimedOut(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = io.WriteString(c, timedOutAnswer)
	_ = c.Close()
}

// pace sleeps as long as reading got bytes since start ran ahead of rate.
func pace(start time.Time, got int64, rate int64) {
	if d := time.Duration(got*int64(time.Second)/rate) - time.Since(start); d > 0 {
		time.Sleep(d)
	}
}

// everySecond lets one event a second through (log lines anyone can cause).
type everySecond struct{ last atomic.Int64 }

func (e *everySecond) allow(now time.Time) bool {
	last := e.last.Load()
	return now.UnixNano()-last >= int64(time.Second) && e.last.CompareAndSwap(last, now.UnixNano())
}
