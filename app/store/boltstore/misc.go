package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// AppendAudit seals e onto its repository's chain. bbolt's single writer
// makes read-last-then-append atomic.
func (s *Store) AppendAudit(ctx context.Context, e gate.AuditEvent) (gate.AuditEvent, error) {
	if e.Repo == "" {
		return e, fmt.Errorf("append audit: repo is empty: %w", store.ErrInvalid)
	}
	in := e
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var err error
		e, err = sealTx(tx, in)
		return err
	})
	return e, err
}

func appendAuditTx(tx *bolt.Tx, e gate.AuditEvent) error {
	_, err := sealTx(tx, e)
	return err
}

// sealTx seals e after its repository's last event within tx.
func sealTx(tx *bolt.Tx, e gate.AuditEvent) (gate.AuditEvent, error) {
	b, err := tx.Bucket(bucketAudit).CreateBucketIfNotExists([]byte(e.Repo))
	if err != nil {
		return e, err
	}
	var prev *gate.AuditEvent
	if k, v := b.Cursor().Last(); k != nil {
		prev = new(gate.AuditEvent)
		if err := json.Unmarshal(v, prev); err != nil {
			return e, fmt.Errorf("decoding audit event %s/%d: %w", e.Repo, binary.BigEndian.Uint64(k), err)
		}
	}
	e.Seal(prev)
	v, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	return e, b.Put(be64(uint64(e.Seq)), v)
}

// SealDecision appends r's pending event and clears it from the request in
// one transaction.
func (s *Store) SealDecision(ctx context.Context, r *gate.Request) error {
	if r.PendingAudit == nil {
		return nil
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		cur, err := getRequest(tx, r.ID)
		if err != nil {
			return err
		}
		if cur.PendingAudit == nil {
			return nil // sealed meanwhile
		}
		if err := appendAuditTx(tx, *cur.PendingAudit); err != nil {
			return err
		}
		cur.PendingAudit = nil
		return putRequest(tx, cur)
	})
}

// ListAudit returns events of repo ("" = all, repository by repository) at
// or after since, in chain order.
func (s *Store) ListAudit(ctx context.Context, repo string, since time.Time) ([]gate.AuditEvent, error) {
	var out []gate.AuditEvent
	err := s.view(ctx, func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketAudit)
		var repos []string
		if repo != "" {
			repos = []string{repo}
		} else if err := root.ForEachBucket(func(k []byte) error {
			repos = append(repos, string(k))
			return nil
		}); err != nil {
			return err
		}
		sort.Strings(repos)
		for _, r := range repos {
			b := root.Bucket([]byte(r))
			if b == nil {
				continue
			}
			if err := b.ForEach(func(k, v []byte) error {
				var e gate.AuditEvent
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("decoding audit event %s/%d: %w", r, binary.BigEndian.Uint64(k), err)
				}
				if !e.At.Before(since) {
					out = append(out, e)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// MarkDelivery records a webhook delivery id for ttl. An expiry index lets
// each call drop a few ids whose window has passed, so the bucket does not
// grow forever.
func (s *Store) MarkDelivery(ctx context.Context, deliveryID string, ttl time.Duration, now time.Time) (bool, error) {
	first := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		first = false
		b, idx := tx.Bucket(bucketDeliveries), tx.Bucket(bucketDlvExpiry)
		if err := purgeDeliveries(b, idx, now); err != nil {
			return err
		}
		old := b.Get([]byte(deliveryID))
		if len(old) == 8 && int64(binary.BigEndian.Uint64(old)) > now.UnixNano() {
			return nil
		}
		first = true
		if len(old) == 8 {
			if err := idx.Delete(cat(old, []byte(deliveryID))); err != nil {
				return err
			}
		}
		exp := be64(uint64(now.Add(ttl).UnixNano()))
		if err := idx.Put(cat(exp, []byte(deliveryID)), nil); err != nil {
			return err
		}
		return b.Put([]byte(deliveryID), exp)
	})
	return first, err
}

func purgeDeliveries(b, idx *bolt.Bucket, now time.Time) error {
	c := idx.Cursor()
	end := be64(uint64(now.UnixNano()))
	var dead [][]byte
	for k, _ := c.First(); k != nil && len(dead) < housekeepingBatch && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
		dead = append(dead, append([]byte(nil), k...))
	}
	for _, k := range dead {
		if err := idx.Delete(k); err != nil {
			return err
		}
		if err := b.Delete(k[8:]); err != nil {
			return err
		}
	}
	return nil
}

func rememberKey(repo, environment, hash string) []byte {
	return prefix(repo, []byte(environment), []byte(hash))
}

// Remember puts an allowlist entry.
func (s *Store) Remember(ctx context.Context, e gate.RememberedCommand) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRemembered).Put(rememberKey(e.Repo, e.Environment, e.NormalizedSHA256), v)
	})
}

// LookupRemembered returns the unexpired entry and counts a hit. A miss,
// the common case, is a read-only transaction: no write, no fsync.
func (s *Store) LookupRemembered(ctx context.Context, repo, environment, hash string, now time.Time) (*gate.RememberedCommand, error) {
	k := rememberKey(repo, environment, hash)
	live := func(tx *bolt.Tx) (*gate.RememberedCommand, error) {
		v := tx.Bucket(bucketRemembered).Get(k)
		if v == nil {
			return nil, fmt.Errorf("remembered command: %w", store.ErrNotFound)
		}
		var e gate.RememberedCommand
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("decoding remembered command: %w", err)
		}
		if !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt) {
			return nil, fmt.Errorf("remembered command expired: %w", store.ErrNotFound)
		}
		return &e, nil
	}
	if err := s.view(ctx, func(tx *bolt.Tx) error { _, err := live(tx); return err }); err != nil {
		return nil, err
	}
	var out *gate.RememberedCommand
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = nil
		e, err := live(tx) // again: it may have been replaced since the read
		if err != nil {
			return err
		}
		e.Hits++
		nv, err := json.Marshal(e)
		if err != nil {
			return err
		}
		out = e
		return tx.Bucket(bucketRemembered).Put(k, nv)
	})
	return out, err
}

type learnCount struct {
	Count     int       `json:"count"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// CountApproval counts an approval toward `learn`, or resets the count.
func (s *Store) CountApproval(ctx context.Context, repo, environment, hash string, reset bool, ttl time.Duration, now time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketLearn)
		k := rememberKey(repo, environment, hash)
		if reset {
			return b.Delete(k)
		}
		var c learnCount
		if v := b.Get(k); v != nil {
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decoding approval count: %w", err)
			}
		}
		if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt) {
			c = learnCount{}
		}
		c.Count++
		c.ExpiresAt = time.Time{}
		if ttl > 0 {
			c.ExpiresAt = now.Add(ttl)
		}
		n = c.Count
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return b.Put(k, v)
	})
	return n, err
}

// SetFreeze sets or clears a repository's freeze flag.
func (s *Store) SetFreeze(ctx context.Context, f gate.Freeze) error {
	if f.Repo == "" {
		return fmt.Errorf("set freeze: repo is empty: %w", store.ErrInvalid)
	}
	v, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFreeze).Put([]byte(f.Repo), v)
	})
}

// GetFreeze returns a repository's freeze flag.
func (s *Store) GetFreeze(ctx context.Context, repo string) (gate.Freeze, error) {
	f := gate.Freeze{Repo: repo}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketFreeze).Get([]byte(repo)); v != nil {
			return json.Unmarshal(v, &f)
		}
		return nil
	})
	return f, err
}
