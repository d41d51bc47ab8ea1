package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/app/store/storetest"
	"github.com/stepgate/stepgate/gate"
)

func open(t testing.TB, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(boltstore.Options{Path: path, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "stepgate.db"))
	})
}

func TestSecondOpenFailsClearly(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "stepgate.db")
	s := open(t, path)
	defer s.Close()
	_, err := boltstore.Open(boltstore.Options{Path: path, LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second Open = %v; want a clear lock error", err)
	}
}

func TestPendingSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "stepgate.db")
	s := open(t, path)
	r := storetest.NewRequest("k", "acme/api", 1, "abc", time.Now(), time.Hour)
	if _, _, err := s.CreateRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	defer s.Close()
	got, err := s.ListPending(context.Background(), "acme/api", 1, "")
	if err != nil || len(got) != 1 || got[0].ID != r.ID {
		t.Fatalf("after reopen ListPending = %v, %v", got, err)
	}
}

// TestVerifyDetectsTampering edits and removes stored events directly in
// the bbolt file, the way an attacker with file access would.
func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		tamper     func(b *bolt.Bucket) error
		wantSeq    int64
		wantReason string
	}{
		{"edit", func(b *bolt.Bucket) error {
			k := seqKey(3)
			v := strings.Replace(string(b.Get(k)), `"actor":"alice"`, `"actor":"mallory"`, 1)
			return b.Put(k, []byte(v))
		}, 3, "edited"},
		{"delete", func(b *bolt.Bucket) error { return b.Delete(seqKey(2)) }, 3, "removed"},
		{"delete first", func(b *bolt.Bucket) error { return b.Delete(seqKey(1)) }, 2, "removed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := open(t, filepath.Join(t.TempDir(), "stepgate.db"))
			defer s.Close()
			for i := range 5 {
				e := gate.AuditEvent{Repo: "acme/api", At: time.Now(), Type: gate.EventApproval, Actor: "alice", Details: map[string]string{"n": string(rune('a' + i))}}
				if _, err := s.AppendAudit(ctx, e); err != nil {
					t.Fatal(err)
				}
				if _, err := s.AppendAudit(ctx, gate.AuditEvent{Repo: "acme/other", At: time.Now(), Type: gate.EventRequested}); err != nil {
					t.Fatal(err)
				}
			}
			err := s.DB().Update(func(tx *bolt.Tx) error {
				return tc.tamper(tx.Bucket([]byte("audit")).Bucket([]byte("acme/api")))
			})
			if err != nil {
				t.Fatal(err)
			}
			broken, err := store.VerifyAudit(ctx, s, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(broken) != 1 || broken[0].Repo != "acme/api" || broken[0].Seq != tc.wantSeq || !strings.Contains(broken[0].Reason, tc.wantReason) {
				t.Fatalf("VerifyAudit = %v; want acme/api broken at %d (%s)", broken, tc.wantSeq, tc.wantReason)
			}
		})
	}
}

func seqKey(n uint64) []byte {
	return []byte{0, 0, 0, 0, 0, 0, 0, byte(n)}
}

func BenchmarkLifecycle(b *testing.B) {
	// fsync on: what the App gets.
	s, err := boltstore.Open(boltstore.Options{Path: filepath.Join(b.TempDir(), "stepgate.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.Lifecycle(b, nil, s)
}

func TestHousekeeping(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "stepgate.db"))
	defer s.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := storetest.NewRequest("old", "acme/api", 1, "a", t0, time.Hour)
	if _, _, err := s.CreateRequest(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finalize(ctx, old.ID, store.Decide{Status: gate.StatusRejected}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	recent := storetest.NewRequest("recent", "acme/api", 1, "a", t0.Add(30*24*time.Hour), time.Hour)
	if _, _, err := s.CreateRequest(ctx, recent); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRequest(ctx, old.ID); err != nil {
		t.Fatalf("request decided 30 days ago was purged: %v", err)
	}
	late := storetest.NewRequest("late", "acme/api", 1, "a", t0.Add(91*24*time.Hour), time.Hour)
	if _, _, err := s.CreateRequest(ctx, late); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRequest(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("request decided 91 days ago: got %v, want purged", err)
	}
	if decided, _ := s.ListDecided(ctx, time.Time{}, 0); len(decided) != 0 {
		t.Fatalf("decided index still lists %d purged requests", len(decided))
	}

	for i, id := range []string{"d1", "d2", "d3"} {
		if _, err := s.MarkDelivery(ctx, id, time.Hour, t0.Add(time.Duration(i)*2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	s.DB().View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("deliveries")).Stats().KeyN
		return nil
	})
	if n != 1 {
		t.Fatalf("%d delivery ids kept, want only the live one", n)
	}
}

// BenchmarkLifecycleParallel: 32 goroutines per core, fsync on, with and
// without write batching.
func BenchmarkLifecycleParallel(b *testing.B) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
	}{{"batch=1ms", 0}, {"batch=off", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := boltstore.Open(boltstore.Options{Path: filepath.Join(b.TempDir(), "stepgate.db"), BatchDelay: tc.delay})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetParallelism(32)
			storetest.LifecycleParallel(b, s)
		})
	}
}
