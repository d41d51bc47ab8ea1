package e2e

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// failover is the load balancer in front of the replicas, as small as it
// can be: each new connection goes to the first backend that accepts it, in
// order. While replica 1 is up every gate talks to it; when it dies, the
// open connections break (as they would behind a real balancer) and the
// gate's retries land on replica 2.
type failover struct {
	ln       net.Listener
	backends []string
	served   []atomic.Int64 // connections per backend
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startFailover(t *testing.T, ln net.Listener, backends []string) *failover {
	f := &failover{ln: ln, backends: backends, served: make([]atomic.Int64, len(backends)), conns: map[net.Conn]struct{}{}}
	f.wg.Go(f.accept)
	t.Cleanup(f.close)
	return f
}

func (f *failover) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Go(func() { f.pipe(c) })
	}
}

func (f *failover) pipe(client net.Conn) {
	defer client.Close()
	var backend net.Conn
	for i, addr := range f.backends {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			backend = c
			f.served[i].Add(1)
			break
		}
	}
	if backend == nil {
		return // every backend down: the client sees a closed connection
	}
	defer backend.Close()
	f.track(client, backend)
	defer f.untrack(client, backend)
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = io.Copy(backend, client)
		closeWrite(backend)
	})
	_, _ = io.Copy(client, backend)
	closeWrite(client)
	wg.Wait()
}

// closeWrite passes a half-close on, so HTTP/1.1 keeps its framing.
func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

func (f *failover) track(cs ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		f.conns[c] = struct{}{}
	}
}

func (f *failover) untrack(cs ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		delete(f.conns, c)
	}
}

func (f *failover) close() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}
