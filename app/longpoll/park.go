package longpoll

import (
	"container/heap"
	"net"
	"time"
)

// A parked poll is a long-poll whose connection was taken over from
// net/http (hijacked) once the handler knew it had to wait. net/http keeps
// two goroutines (the handler and the connection's background reader) and
// two 4 KiB buffers per open connection: ~30 KiB per waiting gate, ~150 MB
// for 5,000. A parked poll keeps the connection and these few fields; no
// goroutine. One dispatcher goroutine (Poller.Run) looks at a parked poll again
// when its due time comes; a decision made here or seen on another replica
// (Poller.Notify) answers it at once.
type parkedPoll struct {
	conn     net.Conn
	id       string    // the request, already checked to be the caller's
	repoID   int64     // the caller's repository, for the store re-read
	deadline time.Time // end of the wait, on the App's clock (App.Now)
	due      time.Time // when to look again, on the wall clock
	index    int       // position in hub.due
}

// parkHeap orders parked polls by due time (container/heap).
type parkHeap []*parkedPoll

func (q parkHeap) Len() int           { return len(q) }
func (q parkHeap) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q parkHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *parkHeap) Push(x any) {
	p := x.(*parkedPoll)
	p.index = len(*q)
	*q = append(*q, p)
}

func (q *parkHeap) Pop() any {
	old := *q
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	p.index = -1
	return p
}

// canPark reports whether a dispatcher runs to look after parked polls.
func (h *hub) canPark() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.parking
}

// park adds p. It returns false when parking has stopped (shutdown): the
// caller still owns p then and must answer it.
func (h *hub) park(p *parkedPoll) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.parking {
		return false
	}
	e := h.entry(p.id)
	e.parked = append(e.parked, p)
	h.total++
	heap.Push(&h.due, p)
	if p.index == 0 {
		select {
		case h.kick <- struct{}{}:
		default:
		}
	}
	return true
}

// unpark removes p from its request's list. h.mu must be held, and p must
// already be out of the heap.
func (h *hub) unpark(p *parkedPoll) {
	e := h.waiters[p.id]
	if e == nil {
		return
	}
	for i, q := range e.parked {
		if q == p {
			last := len(e.parked) - 1
			e.parked[i], e.parked[last] = e.parked[last], nil
			e.parked = e.parked[:last]
			break
		}
	}
	h.total--
	h.drop(p.id, e)
}

// takeDue removes and returns the parked polls due by now (the caller owns
// them), and the next due time (zero if none is parked).
func (h *hub) takeDue(now time.Time) (due []*parkedPoll, next time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.due) > 0 && !h.due[0].due.After(now) {
		p := heap.Pop(&h.due).(*parkedPoll)
		h.unpark(p)
		due = append(due, p)
	}
	if len(h.due) > 0 {
		next = h.due[0].due
	}
	return due, next
}

// startParking lets polls park; the dispatcher calls it.
func (h *hub) startParking() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.parking = true
}

// stopParking refuses further parking and returns every parked poll (the
// caller owns them).
func (h *hub) stopParking() []*parkedPoll {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.parking = false
	all := make([]*parkedPoll, 0, len(h.due))
	for len(h.due) > 0 {
		p := heap.Pop(&h.due).(*parkedPoll)
		h.unpark(p)
		all = append(all, p)
	}
	return all
}

// parkedCount is how many polls are parked right now.
func (h *hub) parkedCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.due)
}
