package server

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"sync"
)

// ConnGuard bounds the connections that hold a goroutine and buffers in
// net/http without being in a handler: connections still sending their
// request headers (an attacker can trickle them for ReadHeaderTimeout) and
// idle keep-alive connections (held for IdleTimeout). Past Max of them,
// the oldest is closed. GitHub and gates send their headers in one packet,
// so a connection that is old in that state is a slow or idle one.
// Connections in a handler are never touched: unsigned webhook bodies have
// their own limits (unsigned.go), and gate calls are authenticated first.
//
// Wire it into the http.Server: ConnState, ConnContext and Wrap(handler).
type ConnGuard struct {
	Max int

	mu      sync.Mutex
	waiting *list.List // of net.Conn, oldest first
	where   map[net.Conn]*list.Element
	closed  int64
}

// DefaultMaxWaitingConns is ConnGuard's default Max: about 35 MB of
// goroutines and buffers at worst.
const DefaultMaxWaitingConns = 2048

// NewConnGuard returns a guard allowing max waiting connections (0: the default).
func NewConnGuard(max int) *ConnGuard {
	if max <= 0 {
		max = DefaultMaxWaitingConns
	}
	return &ConnGuard{Max: max, waiting: list.New(), where: map[net.Conn]*list.Element{}}
}

type connKey struct{}

// ConnContext remembers the connection in its requests' context (for Wrap).
func (g *ConnGuard) ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnState tracks connections as net/http reports them.
func (g *ConnGuard) ConnState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew, http.StateIdle:
		g.wait(c)
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

func (g *ConnGuard) wait(c net.Conn) {
	var over []net.Conn
	g.mu.Lock()
	if e, ok := g.where[c]; ok {
		g.waiting.MoveToBack(e)
	} else {
		g.where[c] = g.waiting.PushBack(c)
	}
	for g.waiting.Len() > g.Max {
		old := g.waiting.Remove(g.waiting.Front()).(net.Conn)
		delete(g.where, old)
		over = append(over, old)
		g.closed++
	}
	g.mu.Unlock()
	for _, old := range over {
		_ = old.Close()
	}
}

func (g *ConnGuard) forget(c net.Conn) {
	g.mu.Lock()
	if e, ok := g.where[c]; ok {
		g.waiting.Remove(e)
		delete(g.where, c)
	}
	g.mu.Unlock()
}

// Waiting returns the number of connections waiting and how many were
// closed to stay under Max.
func (g *ConnGuard) Waiting() (waiting int, closed int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting.Len(), g.closed
}
