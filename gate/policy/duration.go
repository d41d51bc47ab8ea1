package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds every policy duration; it also keeps day arithmetic
// far from overflow.
const maxDuration = 10 * 365 * 24 * time.Hour

// ParseDuration accepts Go durations ("90m", "1h30m") plus a leading day
// count ("30d", "1d12h"), since TTLs are naturally written in days.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var total time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		days, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil || days > uint64(maxDuration/(24*time.Hour)) {
			return 0, fmt.Errorf("invalid duration %q (want e.g. 30m, 24h, 30d, 1d12h)", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return checkDuration(total)
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 30m, 24h, 30d, 1d12h)", s)
	}
	if d < 0 || d > maxDuration {
		return 0, fmt.Errorf("duration %s out of range", s)
	}
	return checkDuration(total + d)
}

func checkDuration(d time.Duration) (time.Duration, error) {
	switch {
	case d <= 0:
		return 0, errors.New("duration must be positive")
	case d > maxDuration:
		return 0, errors.New("duration longer than 10 years")
	}
	return d, nil
}
