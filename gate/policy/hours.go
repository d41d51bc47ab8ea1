package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zones must load in minimal containers without /usr/share/zoneinfo
)

// window is a weekly working-hours window such as
// "Mon-Fri 09:00-18:00 Europe/Berlin". An end at or before the start spans
// midnight: "Mon-Fri 22:00-06:00" covers Friday night into Saturday morning.
type window struct {
	src        string
	days       [7]bool // indexed by time.Weekday
	start, end int     // minutes after local midnight
	loc        *time.Location
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseWindow parses "DAYS HH:MM-HH:MM [ZONE]"; DAYS is a comma list of days
// or day ranges (Mon-Fri, Sat,Sun, Fri-Mon). The zone defaults to UTC.
func parseWindow(s string) (*window, error) {
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return nil, fmt.Errorf("want \"DAYS HH:MM-HH:MM [ZONE]\", e.g. \"Mon-Fri 09:00-18:00 Europe/Berlin\"")
	}
	w := &window{src: s, loc: time.UTC}
	if err := w.parseDays(f[0]); err != nil {
		return nil, err
	}
	from, to, ok := strings.Cut(f[1], "-")
	if !ok {
		return nil, fmt.Errorf("hours %q: want HH:MM-HH:MM", f[1])
	}
	var err error
	if w.start, err = parseClock(from, false); err != nil {
		return nil, err
	}
	if w.end, err = parseClock(to, true); err != nil {
		return nil, err
	}
	if w.start == w.end {
		return nil, fmt.Errorf("hours %q: start and end are equal", f[1])
	}
	if len(f) == 3 {
		if strings.EqualFold(f[2], "local") {
			return nil, fmt.Errorf("time zone %q: name a zone such as Europe/Berlin", f[2])
		}
		if w.loc, err = time.LoadLocation(f[2]); err != nil {
			return nil, fmt.Errorf("unknown time zone %q", f[2])
		}
	}
	return w, nil
}

func (w *window) parseDays(s string) error {
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdays[strings.ToLower(from)]
		if !ok {
			return fmt.Errorf("unknown day %q (want Mon, Tue, Wed, Thu, Fri, Sat, Sun)", from)
		}
		b := a
		if isRange {
			if b, ok = weekdays[strings.ToLower(to)]; !ok {
				return fmt.Errorf("unknown day %q (want Mon, Tue, Wed, Thu, Fri, Sat, Sun)", to)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			w.days[d] = true
			if d == b {
				break
			}
		}
	}
	return nil
}

func parseClock(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	maxH := 23
	if end {
		maxH = 24 // "24:00" ends a window at midnight
	}
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > maxH || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	return hh*60 + mm, nil
}

// contains reports whether t falls inside the window, using the wall clock
// of the window's zone (so DST shifts move the window with local time).
func (w *window) contains(t time.Time) bool {
	lt := t.In(w.loc)
	min := lt.Hour()*60 + lt.Minute()
	day := lt.Weekday()
	if w.start < w.end {
		return w.days[day] && min >= w.start && min < w.end
	}
	// Spans midnight: the evening part belongs to today's entry, the
	// morning part to yesterday's.
	return (w.days[day] && min >= w.start) || (w.days[(day+6)%7] && min < w.end)
}
