package store

import "time"

// SlideWindow is the shared rule of AgentCommand: stamps (unix ns, oldest
// first) still inside (now-window, now], and whether one more fits under
// limit. Both stores use it, so they cannot count differently.
func SlideWindow(stamps []int64, limit int, window time.Duration, now time.Time) (kept []int64, fits bool) {
	floor := now.Add(-window).UnixNano()
	for _, t := range stamps {
		if t > floor {
			kept = append(kept, t)
		}
	}
	return kept, len(kept) < limit
}
