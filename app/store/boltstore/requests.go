package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// CreateRequest stores r unless its id exists.
func (s *Store) CreateRequest(ctx context.Context, r *gate.Request) (*gate.Request, bool, error) {
	if r == nil {
		return nil, false, fmt.Errorf("create request: nil: %w", store.ErrInvalid)
	}
	c := *r
	if err := store.CheckCreate(&c); err != nil {
		return nil, false, err
	}
	var stored *gate.Request
	created := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		stored, created = nil, false
		old, err := getRequest(tx, c.ID)
		if err == nil {
			stored = old
			return nil
		}
		if err := putRequest(tx, &c); err != nil {
			return err
		}
		stored, created = &c, true
		if err := indexPut(tx, &c); err != nil {
			return err
		}
		return purgeDecided(tx, c.CreatedAt.Add(-s.retention))
	})
	if err != nil {
		return nil, false, err
	}
	return stored, created, nil
}

// GetRequest returns a request by id.
func (s *Store) GetRequest(ctx context.Context, id string) (*gate.Request, error) {
	var r *gate.Request
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		r, err = getRequest(tx, id)
		return err
	})
	return r, err
}

// UpdateRequest sets the GitHub object fields of a request that u carries.
func (s *Store) UpdateRequest(ctx context.Context, u *gate.Request) error {
	if u == nil {
		return fmt.Errorf("update request: nil: %w", store.ErrInvalid)
	}
	_, err := s.mutate(ctx, u.ID, func(r *gate.Request) error {
		store.ApplyGitHub(r, u)
		return nil
	})
	return err
}

// Vote records v and applies d in one transaction.
func (s *Store) Vote(ctx context.Context, id string, v gate.Vote, d store.Decide, delivery string) (*gate.Request, error) {
	if err := store.CheckDecide(d, false); err != nil {
		return nil, err
	}
	return s.mutateTx(ctx, id, func(tx *bolt.Tx, r *gate.Request) error {
		if delivery == "" {
			return store.ApplyVote(r, v, d)
		}
		k := voteDeliveryKey(id, delivery)
		b := tx.Bucket(bucketVoteDlv)
		if b.Get(k) != nil {
			return fmt.Errorf("vote %s: delivery %s already recorded: %w", id, delivery, store.ErrConflict)
		}
		if err := store.ApplyVote(r, v, d); err != nil {
			return err
		}
		return b.Put(k, []byte{})
	})
}

// VoteDelivered looks the delivery up among the request's votes.
func (s *Store) VoteDelivered(ctx context.Context, id, delivery string) (bool, error) {
	if delivery == "" {
		return false, nil
	}
	seen := false
	err := s.view(ctx, func(tx *bolt.Tx) error {
		seen = tx.Bucket(bucketVoteDlv).Get(voteDeliveryKey(id, delivery)) != nil
		return nil
	})
	return seen, err
}

func voteDeliveryKey(id, delivery string) []byte {
	return cat([]byte(id), []byte{0}, []byte(delivery))
}

// Finalize moves a pending request to a final status.
func (s *Store) Finalize(ctx context.Context, id string, d store.Decide, at time.Time) (*gate.Request, error) {
	if err := store.CheckDecide(d, true); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(r *gate.Request) error { return store.ApplyFinalize(r, d, at) })
}

// SetResult records the gate's exit code and duration once.
func (s *Store) SetResult(ctx context.Context, id string, exitCode int, duration time.Duration) (*gate.Request, error) {
	return s.mutate(ctx, id, func(r *gate.Request) error { return store.ApplyResult(r, exitCode, duration) })
}

// mutate loads a request, applies fn and writes it back with its index
// entries moved, all in one transaction; fn's error aborts everything.
func (s *Store) mutate(ctx context.Context, id string, fn func(r *gate.Request) error) (*gate.Request, error) {
	return s.mutateTx(ctx, id, func(_ *bolt.Tx, r *gate.Request) error { return fn(r) })
}

// mutateTx is mutate with fn also given the transaction.
func (s *Store) mutateTx(ctx context.Context, id string, fn func(tx *bolt.Tx, r *gate.Request) error) (*gate.Request, error) {
	var out *gate.Request
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = nil
		r, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		if err := indexDel(tx, r); err != nil {
			return err
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		if err := putRequest(tx, r); err != nil {
			return err
		}
		out = r
		return indexPut(tx, r)
	})
	return out, err
}

// ListPending lists pending requests of repo for a PR or a head SHA.
func (s *Store) ListPending(ctx context.Context, repo string, pr int, sha string) ([]*gate.Request, error) {
	switch {
	case pr > 0:
		return s.listIndex(ctx, bucketPendingPR, prefix(repo, be64(uint64(pr))), 0)
	case sha != "":
		return s.listIndex(ctx, bucketPendingSHA, prefix(repo, []byte(sha)), 0)
	}
	return nil, fmt.Errorf("list pending: need a PR number or a SHA: %w", store.ErrInvalid)
}

// ListPendingRepo lists all pending requests of a repository.
func (s *Store) ListPendingRepo(ctx context.Context, repo string) ([]*gate.Request, error) {
	return s.listIndex(ctx, bucketPendingRep, prefix(repo), 0)
}

// ListExpired lists pending requests that have expired at now.
func (s *Store) ListExpired(ctx context.Context, now time.Time, limit int) ([]*gate.Request, error) {
	var out []*gate.Request
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketPendingExp).Cursor()
		end := be64(timeKey(now))
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			r, err := getRequest(tx, string(k[8:]))
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// ListDecided lists requests decided after since, oldest first.
func (s *Store) ListDecided(ctx context.Context, since time.Time, limit int) ([]*gate.Request, error) {
	var out []*gate.Request
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDecided).Cursor()
		for k, _ := c.Seek(be64(timeKey(since) + 1)); k != nil; k, _ = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			r, err := getRequest(tx, string(k[8:]))
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// listIndex reads the requests under a key prefix of an index bucket whose
// keys end in created-at and id, oldest first.
func (s *Store) listIndex(ctx context.Context, bucket, pfx []byte, limit int) ([]*gate.Request, error) {
	var out []*gate.Request
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, _ := c.Seek(pfx); k != nil && bytes.HasPrefix(k, pfx); k, _ = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			r, err := getRequest(tx, string(k[len(pfx)+8:]))
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

func getRequest(tx *bolt.Tx, id string) (*gate.Request, error) {
	if !store.ValidID(id) {
		return nil, fmt.Errorf("request %q: %w", id, store.ErrNotFound)
	}
	v := tx.Bucket(bucketRequests).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("request %s: %w", id, store.ErrNotFound)
	}
	var r gate.Request
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decoding request %s: %w", id, err)
	}
	return &r, nil
}

func putRequest(tx *bolt.Tx, r *gate.Request) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding request %s: %w", r.ID, err)
	}
	return tx.Bucket(bucketRequests).Put([]byte(r.ID), b)
}

// indexKeys lists the index entries r's current state has.
func indexKeys(r *gate.Request) map[string][]byte {
	keys := map[string][]byte{}
	created := be64(timeKey(r.CreatedAt))
	id := []byte(r.ID)
	if r.Status == gate.StatusPending {
		if r.PRNumber > 0 {
			keys[string(bucketPendingPR)] = cat(prefix(r.Repo, be64(uint64(r.PRNumber))), created, id)
		}
		if r.HeadSHA != "" {
			keys[string(bucketPendingSHA)] = cat(prefix(r.Repo, []byte(r.HeadSHA)), created, id)
		}
		keys[string(bucketPendingRep)] = cat(prefix(r.Repo), created, id)
		exp := uint64(math.MaxInt64) // no expiry: never swept
		if !r.ExpiresAt.IsZero() {
			exp = timeKey(r.ExpiresAt)
		}
		keys[string(bucketPendingExp)] = cat(be64(exp), id)
	} else if r.Status.Final() {
		keys[string(bucketDecided)] = cat(be64(timeKey(r.DecidedAt)), id)
	}
	return keys
}

func indexPut(tx *bolt.Tx, r *gate.Request) error {
	for b, k := range indexKeys(r) {
		if err := tx.Bucket([]byte(b)).Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

func indexDel(tx *bolt.Tx, r *gate.Request) error {
	for b, k := range indexKeys(r) {
		if err := tx.Bucket([]byte(b)).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// timeKey orders times as unsigned keys; times before 1970 sort first.
func timeKey(t time.Time) uint64 {
	if t.IsZero() || t.UnixNano() < 0 {
		return 0
	}
	return uint64(t.UnixNano())
}

func be64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// prefix joins a repository and further parts with NUL separators, which
// neither repository names nor SHAs contain, so one repo's prefix never
// matches another's.
func prefix(repo string, parts ...[]byte) []byte {
	b := append([]byte(repo), 0)
	for _, p := range parts {
		b = append(append(b, p...), 0)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// purgeDecided deletes up to housekeepingBatch requests decided before
// cutoff, oldest first, with their index entries.
func purgeDecided(tx *bolt.Tx, cutoff time.Time) error {
	c := tx.Bucket(bucketDecided).Cursor()
	end := be64(timeKey(cutoff))
	var old []string
	for k, _ := c.First(); k != nil && len(old) < housekeepingBatch && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
		old = append(old, string(k[8:]))
	}
	for _, id := range old {
		r, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		if err := indexDel(tx, r); err != nil {
			return err
		}
		if err := tx.Bucket(bucketRequests).Delete([]byte(id)); err != nil {
			return err
		}
		if err := purgeVoteDeliveries(tx, id); err != nil {
			return err
		}
	}
	return nil
}

// purgeVoteDeliveries drops the vote delivery ids of a purged request.
func purgeVoteDeliveries(tx *bolt.Tx, id string) error {
	b := tx.Bucket(bucketVoteDlv)
	pre := cat([]byte(id), []byte{0})
	var dead [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
		dead = append(dead, append([]byte(nil), k...))
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
