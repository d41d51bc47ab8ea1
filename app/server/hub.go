package server

import (
	"context"
	"sync"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// hub wakes long-polling gates when their request is decided. Waiters on
// one request share one channel that is closed on the decision, so a
// waiting gate costs a map entry and its own (already existing) goroutine:
// no extra goroutines or timers.
type hub struct {
	mu      sync.Mutex
	waiters map[string]*waitEntry
	total   int
}

type waitEntry struct {
	ch  chan struct{}
	n   int
	req *gate.Request // the decided request, set before ch is closed
}

func newHub() *hub { return &hub{waiters: map[string]*waitEntry{}} }

// wait registers interest in id. The channel is closed when notify(id) is
// called; decided then returns the request notify was given (nil if none),
// which spares the waiter a store read. release must be called when the
// waiter leaves.
func (h *hub) wait(id string) (ch <-chan struct{}, decided func() *gate.Request, release func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.waiters[id]
	if e == nil {
		e = &waitEntry{ch: make(chan struct{})}
		h.waiters[id] = e
	}
	e.n++
	h.total++
	var once sync.Once
	return e.ch, func() *gate.Request {
			select {
			case <-e.ch:
				return e.req
			default:
				return nil
			}
		}, func() {
			once.Do(func() {
				h.mu.Lock()
				defer h.mu.Unlock()
				h.total--
				e.n--
				if e.n == 0 && h.waiters[id] == e {
					delete(h.waiters, id)
				}
			})
		}
}

// notify wakes every waiter of id, handing them r when it is final.
func (h *hub) notify(id string, r *gate.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.waiters[id]; e != nil {
		if r != nil && r.Status.Final() {
			e.req = r
		}
		close(e.ch)
		delete(h.waiters, id)
	}
}

func (h *hub) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// decidedOverlap is how far back each ListDecided poll looks, so decisions
// written by another replica with a slightly skewed clock, or committed just
// after the previous poll, are still seen. Notifying twice is harmless.
const decidedOverlap = 3 * time.Second

// pollDecided wakes waiters for decisions made on other replicas: one store
// query per poll interval, and only while some gate waits here.
func (s *Server) pollDecided(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.hub.waiting() == 0 {
			continue
		}
		reqs, err := s.store.ListDecided(ctx, s.now().Add(-decidedOverlap), 1000)
		if err != nil {
			if ctx.Err() == nil {
				s.metrics.storeErrors.WithLabelValues("list_decided").Inc()
				s.logger(ctx).WarnContext(ctx, "polling decided requests", "err", err)
			}
			continue
		}
		for _, r := range reqs {
			s.hub.notify(r.ID, r)
		}
	}
}
