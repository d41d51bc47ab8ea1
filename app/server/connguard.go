package server

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// ConnGuard bounds the connections that hold a goroutine and buffers in
// net/http without being in a handler: connections still sending their
// request headers (an attacker can trickle them for ReadHeaderTimeout) and
// idle keep-alive connections (held for IdleTimeout). Connections in a
// handler are never touched: unsigned webhook bodies have their own limits
// (unsigned.go), and gate calls are authenticated first.
//
// At most Max connections wait at once. Idle ones beyond that are closed,
// oldest first. A new connection is closed to make room only once it has
// waited Grace for its headers: GitHub and gates send theirs in one packet,
// so one that old is slow, while a burst of real connections (5,000 gates
// polling at once) is only young. While Max new connections are all young,
// Listener's Accept waits, and the rest of the burst waits in the kernel's
// accept queue, costing the App nothing.
//
// Make one with NewConnGuard and wire it into the http.Server: ConnState,
// ConnContext, Wrap(handler) and Serve(Listener(ln)).
type ConnGuard struct {
	Max   int
	Grace time.Duration

	mu     sync.Mutex
	room   *sync.Cond // signalled when a waiting connection leaves or may be closed
	fresh  *list.List // of *waitingConn still sending headers, oldest first
	idle   *list.List // of *waitingConn idle between requests, oldest first
	where  map[net.Conn]*list.Element
	timer  *time.Timer // re-checks when the oldest fresh connection turns Grace old
	closed int64
}

type waitingConn struct {
	c     net.Conn
	since time.Time
	idle  bool
}

// DefaultMaxWaitingConns is ConnGuard's default Max: about 35 MB of
// goroutines and buffers at worst.
const DefaultMaxWaitingConns = 2048

// DefaultHeaderGrace is ConnGuard's default Grace.
const DefaultHeaderGrace = 2 * time.Second

// NewConnGuard returns a guard allowing max waiting connections (0: the
// default), new ones given DefaultHeaderGrace to send their headers.
func NewConnGuard(max int) *ConnGuard {
	if max <= 0 {
		max = DefaultMaxWaitingConns
	}
	g := &ConnGuard{Max: max, Grace: DefaultHeaderGrace, fresh: list.New(), idle: list.New(), where: map[net.Conn]*list.Element{}}
	g.room = sync.NewCond(&g.mu)
	return g
}

type connKey struct{}

// ConnContext remembers the connection in its requests' context (for Wrap).
func (g *ConnGuard) ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnState tracks connections as net/http reports them.
func (g *ConnGuard) ConnState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		g.wait(c, false)
	case http.StateIdle:
		g.wait(c, true)
	case http.StateHijacked, http.StateClosed:
		g.forget(c)
	}
}

// Wrap marks a connection as in a handler while h serves it.
func (g *ConnGuard) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			g.forget(c)
		}
		h.ServeHTTP(w, r)
	})
}

// Listener wraps l so that Accept waits while Max connections are still
// sending their headers and none of them is Grace old yet.
func (g *ConnGuard) Listener(l net.Listener) net.Listener { return &guardedListener{Listener: l, g: g} }

type guardedListener struct {
	net.Listener
	g      *ConnGuard
	closed bool // guarded by g.mu
}

func (l *guardedListener) Accept() (net.Conn, error) {
	l.g.admit(&l.closed)
	return l.Listener.Accept()
}

// Close stops a waiting Accept too: it then returns the closed listener's error.
func (l *guardedListener) Close() error {
	l.g.mu.Lock()
	l.closed = true
	l.g.room.Broadcast()
	l.g.mu.Unlock()
	return l.Listener.Close()
}

// admit returns once a new connection fits: fewer than Max are sending
// headers, after closing those that waited Grace (or once the listener
// is closed). It waits only having looked with the lock held throughout,
// so no wake-up between the look and the wait is missed.
func (g *ConnGuard) admit(closed *bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for !*closed {
		if over := g.trim(time.Now(), g.Max-1); len(over) > 0 {
			g.mu.Unlock()
			closeAll(over)
			g.mu.Lock()
			continue // the lock was let go: look again
		}
		if g.fresh.Len() < g.Max {
			return
		}
		g.room.Wait()
	}
}

func (g *ConnGuard) wait(c net.Conn, idle bool) {
	now := time.Now()
	g.mu.Lock()
	if e, ok := g.where[c]; ok {
		g.remove(e)
	}
	l := g.fresh
	if idle {
		l = g.idle
	}
	g.where[c] = l.PushBack(&waitingConn{c: c, since: now, idle: idle})
	over := g.trim(now, g.Max)
	g.mu.Unlock()
	closeAll(over)
}

// trim takes out, to be closed, the idle connections beyond limit, oldest
// first, then the new ones beyond it that waited Grace; if young new ones
// remain beyond it, a timer looks again when the oldest turns Grace old.
// g.mu is held.
func (g *ConnGuard) trim(now time.Time, limit int) []net.Conn {
	var over []net.Conn
	for g.fresh.Len()+g.idle.Len() > limit && g.idle.Len() > 0 {
		over = append(over, g.remove(g.idle.Front()))
	}
	for g.fresh.Len()+g.idle.Len() > limit {
		oldest := g.fresh.Front().Value.(*waitingConn)
		if wait := oldest.since.Add(g.Grace).Sub(now); wait > 0 {
			g.recheckIn(wait)
			break
		}
		over = append(over, g.remove(g.fresh.Front()))
	}
	g.closed += int64(len(over))
	return over
}

// recheckIn wakes waiting Accepts and trims again after d. g.mu is held.
func (g *ConnGuard) recheckIn(d time.Duration) {
	if g.timer != nil {
		return
	}
	g.timer = time.AfterFunc(d, func() {
		g.mu.Lock()
		g.timer = nil
		over := g.trim(time.Now(), g.Max)
		g.room.Broadcast()
		g.mu.Unlock()
		closeAll(over)
	})
}

// remove takes e out of its list and returns its connection. g.mu is held.
func (g *ConnGuard) remove(e *list.Element) net.Conn {
	w := e.Value.(*waitingConn)
	if w.idle {
		g.idle.Remove(e)
	} else {
		g.fresh.Remove(e)
	}
	delete(g.where, w.c)
	return w.c
}

func (g *ConnGuard) forget(c net.Conn) {
	g.mu.Lock()
	if e, ok := g.where[c]; ok {
		g.remove(e)
		g.room.Broadcast()
	}
	g.mu.Unlock()
}

func closeAll(cs []net.Conn) {
	for _, c := range cs {
		_ = c.Close()
	}
}

// Waiting returns the number of connections waiting and how many were
// closed to stay under Max.
func (g *ConnGuard) Waiting() (waiting int, closed int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fresh.Len() + g.idle.Len(), g.closed
}
