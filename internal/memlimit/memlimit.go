// Package memlimit chooses the App's soft memory limit: the one place
// `stepgate serve` and the bench's App child read it, so the benchmark
// measures what serve does.
//
// Why a default limit at all: the Go GC sets its heap goal from the live
// heap plus goroutine stacks (GOGC=100 lets the heap double). A burst of
// thousands of connections arriving at once briefly holds a goroutine and
// buffers each; that inflates the goal, the heap grows into it, and the
// resident set stays high long after the burst. A soft limit makes the GC
// work harder near the limit instead, and costs nothing below it.
package memlimit

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// Default is the limit used when neither GOMEMLIMIT nor the setting says
// otherwise: above the App's working set with 5,000 gates waiting, below
// the 150 MB the benchmark allows.
const Default int64 = 128 << 20

// Min rejects limits so low that the GC would run continuously.
const Min int64 = 16 << 20

var units = []struct {
	suffix string
	mult   int64
}{
	// Longest suffixes first, so "MiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1},
}

// Parse reads a setting: "" means Default, "off" means no limit (0),
// otherwise a size in GOMEMLIMIT's syntax (128MiB, 1GiB, 200000000) or with
// decimal units (200MB). Suffixes are case-insensitive.
func Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return Default, nil
	case "off", "none", "0":
		return 0, nil
	}
	num, mult := strings.ToLower(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a size like 128MiB or 1GiB (or off)", s)
	}
	if n*mult < Min {
		return 0, fmt.Errorf("%q is below %d MiB: the garbage collector would run continuously", s, Min>>20)
	}
	return n * mult, nil
}

// Decision says what Apply did, for the startup log.
type Decision struct {
	Limit  int64  // bytes; 0 means none set by us
	Source string // "GOMEMLIMIT", "off" or "setting"
}

// Apply sets limit as the runtime's soft memory limit unless GOMEMLIMIT is
// in the environment (the runtime has already applied it, and an operator
// who set it meant it) or limit is 0 ("off").
func Apply(limit int64, getenv func(string) string) Decision {
	if v := strings.TrimSpace(getenv("GOMEMLIMIT")); v != "" {
		return Decision{Limit: debug.SetMemoryLimit(-1), Source: "GOMEMLIMIT"}
	}
	if limit <= 0 {
		return Decision{Source: "off"}
	}
	debug.SetMemoryLimit(limit)
	return Decision{Limit: limit, Source: "setting"}
}
