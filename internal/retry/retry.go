// Package retry is stepgate's one retry policy for HTTP calls: the gate's
// client of the App (gate/action) and the App's GitHub transport
// (app/ghclient) both use it, and the App's own "come back later" answers
// (Retry-After on 503) use its jitter. As in hashicorp/go-retryablehttp,
// whether to retry (Check) and how long to wait (Backoff) are separate,
// swappable functions.
//
// Every wait is jittered: many gates or replicas that failed at the same
// moment (an App restart answering all its parked polls 503 at once, a
// GitHub outage) must not all come back in the same second.
package retry

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// Backoff returns the wait before the next attempt; attempt is the number
// of attempts made so far (1 after the first failure).
type Backoff func(attempt int) time.Duration

// Check reports whether an answer (code, 0 for a transport error) is worth
// another attempt.
type Check func(code int, err error) bool

// Exponential doubles from base up to max, each wait drawn uniformly from
// [d/2, d] ("equal jitter": never less than half the nominal wait, never
// in lockstep with other clients).
func Exponential(base, max time.Duration) Backoff {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		return Jitter(min(d, max))
	}
}

// Jitter draws a wait uniformly from [d/2, d].
func Jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Spread draws a wait uniformly from [d, d+spread]: for a server-given
// wait (Retry-After), which is a minimum.
func Spread(d, spread time.Duration) time.Duration {
	if spread <= 0 {
		return d
	}
	return d + rand.N(spread+1)
}

// RetryAfterSeconds is a Retry-After value in whole seconds drawn from
// [min, max]: what the App sends with a 503 so that its clients spread out.
func RetryAfterSeconds(min, max int) int {
	if max <= min {
		return min
	}
	return min + rand.IntN(max-min+1)
}

// Transient is the default Check: transport errors, 5xx and 429.
func Transient(code int, err error) bool {
	return err != nil || code >= 500 || code == http.StatusTooManyRequests
}
