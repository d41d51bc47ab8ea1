package longpoll

import (
	"container/heap"
	"sync"

	"github.com/stepgate/stepgate/gate"
)

// hub wakes long-polling gates when their request is decided. Two kinds of
// waiter share it (Poller.Wait decides which). A goroutine waiter (HTTP/2, or before Run started) holds
// its handler goroutine and waits on a channel that all waiters of one
// request share and that is closed on the decision. A parked waiter (see
// park.go) holds no goroutine at all: just its connection, in a list per
// request and in a heap ordered by the time it must be looked at again.
type hub struct {
	mu      sync.Mutex
	waiters map[string]*waitEntry
	total   int // goroutine and parked waiters

	parking bool          // Run's dispatcher is running: polls may park
	due     parkHeap      // parked polls, earliest due first
	kick    chan struct{} // tells the dispatcher an earlier due time came in
	// busy counts deliveries of a decision to parked polls still writing;
	// it is only raised under mu while parking, so Run can wait for it.
	busy sync.WaitGroup
}

type waitEntry struct {
	ch     chan struct{} // made by the first goroutine waiter
	n      int           // goroutine waiters
	req    *gate.Request // the decided request, set before ch is closed
	parked []*parkedPoll
}

func newHub() *hub {
	return &hub{waiters: map[string]*waitEntry{}, kick: make(chan struct{}, 1)}
}

// entry returns id's entry, creating it. h.mu must be held.
func (h *hub) entry(id string) *waitEntry {
	e := h.waiters[id]
	if e == nil {
		e = &waitEntry{}
		h.waiters[id] = e
	}
	return e
}

// drop deletes id's entry once nobody waits on it. h.mu must be held.
func (h *hub) drop(id string, e *waitEntry) {
	if e.n == 0 && len(e.parked) == 0 && h.waiters[id] == e {
		delete(h.waiters, id)
	}
}

// wait registers interest in id. The channel is closed when notify(id) is
// called; decided then returns the request notify was given (nil if none),
// which spares the waiter a store read. release must be called when the
// waiter leaves.
func (h *hub) wait(id string) (ch <-chan struct{}, decided func() *gate.Request, release func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.entry(id)
	if e.ch == nil {
		e.ch = make(chan struct{})
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
				h.drop(id, e)
			})
		}
}

// notify wakes every waiter of id, handing them r when it is final. The
// parked polls of id are returned when r is final (the caller answers them
// and then calls h.busy.Done); without a final r they stay parked and learn
// the outcome at their next look.
func (h *hub) notify(id string, r *gate.Request) []*parkedPoll {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.waiters[id]
	if e == nil {
		return nil
	}
	final := r != nil && r.Status.Final()
	if final {
		e.req = r
	}
	if e.ch != nil {
		close(e.ch)
	}
	var ps []*parkedPoll
	if final && len(e.parked) > 0 {
		ps = e.parked
		e.parked = nil
		for _, p := range ps {
			heap.Remove(&h.due, p.index)
		}
		h.total -= len(ps)
		h.busy.Add(1)
	}
	// Goroutine waiters hold e and find it closed; later waiters get a
	// fresh entry, and so do parked polls that stay.
	delete(h.waiters, id)
	if len(e.parked) > 0 {
		h.waiters[id] = &waitEntry{parked: e.parked}
		e.parked = nil
	}
	return ps
}

func (h *hub) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}
