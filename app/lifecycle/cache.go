package lifecycle

import (
	"sync"
	"time"
)

// ttlCache keeps values for ttl, at most max of them: when full, the
// expired ones go, and if none has expired, all of them (the caches only
// spare GitHub calls; starting over costs a few).
type ttlCache[V any] struct {
	mu  sync.Mutex
	max int
	ttl time.Duration
	m   map[string]cached[V]
}

type cached[V any] struct {
	v  V
	at time.Time
}

func newTTLCache[V any](max int, ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{max: max, ttl: ttl, m: map[string]cached[V]{}}
}

func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) > c.ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[V]) put(key string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, e := range c.m {
			if now.Sub(e.at) > c.ttl {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[key] = cached[V]{v: v, at: now}
}
