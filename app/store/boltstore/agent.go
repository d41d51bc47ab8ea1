package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

var bucketAgentRate = []byte("agent_rate")

// AgentCommand counts an agent session's command in a sliding window;
// bbolt's single writer makes read-check-write atomic.
func (s *Store) AgentCommand(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (int, bool, error) {
	if key == "" || limit < 1 || window <= 0 {
		return 0, false, fmt.Errorf("agent command: empty key, limit or window: %w", store.ErrInvalid)
	}
	var n int
	var ok bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAgentRate)
		if err != nil {
			return err
		}
		var stamps []int64
		if v := b.Get([]byte(key)); v != nil {
			if err := json.Unmarshal(v, &stamps); err != nil {
				return fmt.Errorf("decoding agent command count: %w", err)
			}
		}
		stamps, ok = store.SlideWindow(stamps, limit, window, now)
		if !ok {
			n = len(stamps)
			return nil
		}
		stamps = append(stamps, now.UnixNano())
		n = len(stamps)
		v, err := json.Marshal(stamps)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), v)
	})
	return n, ok, err
}

var bucketAgentSessions = []byte("agent_sessions")

// UpdateAgentSession is a read-modify-write in one bbolt transaction.
func (s *Store) UpdateAgentSession(ctx context.Context, key string, ttl time.Duration, now time.Time, fn func(*gate.AgentSession) bool) (*gate.AgentSession, error) {
	if key == "" {
		return nil, fmt.Errorf("update agent session: empty key: %w", store.ErrInvalid)
	}
	var out *gate.AgentSession
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAgentSessions)
		if err != nil {
			return err
		}
		a := &gate.AgentSession{Key: key}
		if v := b.Get([]byte(key)); v != nil {
			var st storedSession
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("decoding agent session: %w", err)
			}
			if st.ExpiresAt.After(now) {
				a = &st.AgentSession
			}
		}
		out = a
		if !fn(a) {
			return nil
		}
		a.Key, a.UpdatedAt = key, now
		v, err := json.Marshal(storedSession{AgentSession: *a, ExpiresAt: now.Add(ttl)})
		if err != nil {
			return err
		}
		return b.Put([]byte(key), v)
	})
	return out, err
}

type storedSession struct {
	gate.AgentSession
	ExpiresAt time.Time `json:"expires_at"`
}
