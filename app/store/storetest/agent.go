package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// testAgentCommand: the sliding window counts exactly, per key, and
// forgets commands older than the window.
func testAgentCommand(t *testing.T, s store.Store) {
	ctx := context.Background()
	const limit = 3
	for i := 1; i <= limit; i++ {
		n, ok, err := s.AgentCommand(ctx, "acme/app#1#claude#s1", limit, time.Minute, base.Add(time.Duration(i)*time.Second))
		if err != nil || !ok || n != i {
			t.Fatalf("command %d: n=%d ok=%v err=%v; want %d true", i, n, ok, err, i)
		}
	}
	if n, ok, err := s.AgentCommand(ctx, "acme/app#1#claude#s1", limit, time.Minute, base.Add(10*time.Second)); err != nil || ok || n != limit {
		t.Fatalf("over the cap: n=%d ok=%v err=%v; want %d false", n, ok, err, limit)
	}
	if _, ok, err := s.AgentCommand(ctx, "acme/app#1#claude#s2", limit, time.Minute, base.Add(10*time.Second)); err != nil || !ok {
		t.Fatalf("another session: ok=%v err=%v; want its own count", ok, err)
	}
	// 61 s after the first command it has left the window; the refused
	// one was never counted.
	if n, ok, err := s.AgentCommand(ctx, "acme/app#1#claude#s1", limit, time.Minute, base.Add(61*time.Second)); err != nil || !ok || n != limit {
		t.Fatalf("after the window slid: n=%d ok=%v err=%v; want %d true", n, ok, err, limit)
	}
	if _, _, err := s.AgentCommand(ctx, "", limit, time.Minute, base); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty key: err=%v, want ErrInvalid", err)
	}
}

// testAgentCommandConcurrent: a burst from many goroutines (replicas, for
// dynamo) lets exactly limit through.
func testAgentCommandConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const limit, burst = 5, 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok, err := s.AgentCommand(ctx, "acme/app#2#codex#burst", limit, time.Minute, base.Add(time.Duration(i)*time.Millisecond))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if passed != limit {
		t.Fatalf("%d of a burst of %d passed, want exactly %d", passed, burst, limit)
	}
}

// testAgentSession: read-modify-write of a session's overview; fn returning
// false writes nothing; concurrent updates all land; expired items read as
// new.
func testAgentSession(t *testing.T, s store.Store) {
	ctx := context.Background()
	const key = "acme/app#7#1#claude#s"
	add := func(id string, st gate.Status, at time.Time) *gate.AgentSession {
		t.Helper()
		a, err := s.UpdateAgentSession(ctx, key, time.Hour, at, func(a *gate.AgentSession) bool {
			a.Repo, a.Agent = "acme/app", "claude"
			a.Upsert(gate.AgentSessionCommand{RequestID: id, Command: "make " + id, Status: st, At: at})
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	add("sg_a", gate.StatusPending, base)
	a := add("sg_b", gate.StatusPending, base.Add(time.Second))
	if len(a.Commands) != 2 || a.Pending() != 2 || a.Key != key {
		t.Fatalf("after two: %+v", a)
	}
	a = add("sg_a", gate.StatusApproved, base.Add(2*time.Second))
	if len(a.Commands) != 2 || a.Pending() != 1 || a.Commands[0].Status != gate.StatusApproved {
		t.Fatalf("after approving sg_a: %+v", a.Commands)
	}
	got, err := s.UpdateAgentSession(ctx, key, time.Hour, base.Add(3*time.Second), func(a *gate.AgentSession) bool {
		a.CheckRunID = 99
		return false
	})
	if err != nil || len(got.Commands) != 2 {
		t.Fatalf("read-only update: %+v %v", got, err)
	}
	got, _ = s.UpdateAgentSession(ctx, key, time.Hour, base.Add(3*time.Second), func(*gate.AgentSession) bool { return false })
	if got.CheckRunID != 0 {
		t.Fatalf("fn returned false but CheckRunID %d was stored", got.CheckRunID)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.UpdateAgentSession(ctx, key, time.Hour, base.Add(4*time.Second), func(a *gate.AgentSession) bool {
				a.Allowed++
				a.Upsert(gate.AgentSessionCommand{RequestID: fmt.Sprintf("sg_c%d", i), Status: gate.StatusPending})
				return true
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ = s.UpdateAgentSession(ctx, key, time.Hour, base.Add(5*time.Second), func(*gate.AgentSession) bool { return false })
	if got.Allowed != 8 || len(got.Commands) != 10 {
		t.Fatalf("concurrent updates: allowed %d, %d commands; want 8 and 10", got.Allowed, len(got.Commands))
	}
	got, _ = s.UpdateAgentSession(ctx, key, time.Hour, base.Add(2*time.Hour), func(*gate.AgentSession) bool { return false })
	if len(got.Commands) != 0 || got.Allowed != 0 {
		t.Fatalf("an expired session still reads as %+v", got)
	}
}
