package testutil

import (
	"strings"
	"sync"
	"testing"
)

func TestSyncBufferConcurrentWrites(t *testing.T) {
	t.Parallel()
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := b.Write([]byte("x\n")); err != nil {
				t.Error(err)
			}
			_ = b.String()
		})
	}
	wg.Wait()
	if got, want := b.String(), strings.Repeat("x\n", 50); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
