// Package boltstore is the embedded store: one bbolt file on one machine.
//
// Requests live in an id-keyed bucket; index buckets (pending by repo and
// PR, by repo and head SHA, by repo, by expiry; decided by time) hold empty
// values under keys that sort the way the lists are read. Every mutation of a
// request and its index entries happens in one bbolt write transaction, so a
// crash never leaves an index pointing at a state the request is not in, and
// bbolt's single writer makes every conditional update atomic.
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/stepgate/stepgate/app/store"
)

var _ store.Store = (*Store)(nil)

// Bucket names. Audit events live in one nested bucket per repository under
// bucketAudit, keyed by big-endian sequence number.
var (
	bucketRequests   = []byte("requests")
	bucketPendingPR  = []byte("idx_pending_pr")
	bucketPendingSHA = []byte("idx_pending_sha")
	bucketPendingRep = []byte("idx_pending_repo")
	bucketPendingExp = []byte("idx_pending_expiry")
	bucketDecided    = []byte("idx_decided")
	bucketAudit      = []byte("audit")
	bucketDeliveries = []byte("deliveries")
	bucketDlvExpiry  = []byte("idx_delivery_expiry")
	bucketVoteDlv    = []byte("vote_deliveries") // request id, 0, delivery id
	bucketRemembered = []byte("remembered")
	bucketLearn      = []byte("learn")
	bucketFreeze     = []byte("freeze")

	allBuckets = [][]byte{
		bucketRequests, bucketPendingPR, bucketPendingSHA, bucketPendingRep,
		bucketPendingExp, bucketDecided, bucketAudit, bucketDeliveries, bucketDlvExpiry,
		bucketRemembered, bucketLearn, bucketFreeze, bucketVoteDlv,
	}
)

// Options configures Open.
type Options struct {
	// Path of the database file; created if missing.
	Path string
	// LockTimeout bounds the wait for the file lock another process holds
	// (default 1s): a second App on the same file fails instead of hanging.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Only for tests and benchmarks.
	NoSync bool
	// Retention is how long a decided request is kept (default 90 days,
	// like the DynamoDB store's TTL). The audit trail is never deleted.
	Retention time.Duration
	// BatchDelay is how long a write waits for concurrent writes to share
	// its transaction and fsync (default 1ms; negative: no batching). Under
	// load this multiplies write throughput; alone, a write waits this long.
	BatchDelay time.Duration
}

// Store is the bbolt implementation of store.Store.
type Store struct {
	db        *bolt.DB
	retention time.Duration
	batch     bool
}

// Open opens (creating if needed) the database file.
func Open(opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, fmt.Errorf("opening bolt store: empty path: %w", store.ErrInvalid)
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = time.Second
	}
	db, err := bolt.Open(opts.Path, 0o600, &bolt.Options{Timeout: timeout, NoSync: opts.NoSync})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("opening bolt store %s: the file is locked by another process (is another stepgate using it?): %w", opts.Path, store.ErrUnavailable)
	}
	if err != nil {
		return nil, fmt.Errorf("opening bolt store %s: %w", opts.Path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising bolt store %s: %w", opts.Path, err)
	}
	if opts.Retention <= 0 {
		opts.Retention = 90 * 24 * time.Hour
	}
	st := &Store{db: db, retention: opts.Retention, batch: opts.BatchDelay >= 0}
	db.MaxBatchDelay = opts.BatchDelay
	if opts.BatchDelay == 0 {
		db.MaxBatchDelay = time.Millisecond
	}
	return st, nil
}

// Close releases the file lock.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the underlying database for tools and tamper tests.
func (s *Store) DB() *bolt.DB { return s.db }

// update runs fn in a write transaction unless ctx is already done: bbolt
// itself cannot be interrupted, but a cancelled caller should not start work.
//
// With batching, concurrent calls share one transaction; bbolt reruns a fn
// alone when it fails (and the others without it), so every fn must be
// idempotent: re-read what it depends on and reset what it reports.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.batch {
		return s.db.Batch(fn)
	}
	return s.db.Update(fn)
}

// housekeepingBatch bounds the old entries a write removes on the side, so
// the file stops growing without a separate sweeper and no write gets slow.
const housekeepingBatch = 16

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}
