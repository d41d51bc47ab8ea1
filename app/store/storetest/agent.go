package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store"
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
