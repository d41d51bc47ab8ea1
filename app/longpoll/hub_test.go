package longpoll

import (
	"testing"

	"github.com/stepgate/stepgate/gate"
)

func TestHubHandsOverTheDecision(t *testing.T) {
	t.Parallel()
	h := newHub()
	ch1, decided1, release1 := h.wait("a")
	ch2, decided2, release2 := h.wait("a")
	if h.waiting() != 2 {
		t.Fatalf("waiting = %d, want 2", h.waiting())
	}
	h.notify("b", nil) // nobody waits: nothing happens
	r := &gate.Request{ID: "a", Status: gate.StatusApproved}
	h.notify("a", r)
	for i, ch := range []<-chan struct{}{ch1, ch2} {
		select {
		case <-ch:
		default:
			t.Fatalf("waiter %d not woken", i)
		}
	}
	if decided1() != r || decided2() != r {
		t.Errorf("waiters did not get the decided request")
	}
	release1()
	release2()
	release2() // releasing twice is harmless
	if h.waiting() != 0 {
		t.Errorf("waiting = %d after release, want 0", h.waiting())
	}
	_, decided3, release3 := h.wait("a")
	defer release3()
	if decided3() != nil {
		t.Errorf("a new waiter sees an old decision")
	}
}
