package risk

import (
	"fmt"
	"strings"
)

// Level orders how dangerous a command is. The zero value is LevelNone.
type Level int

// Levels, from harmless to catastrophic. Policies compare them with >=.
const (
	LevelNone Level = iota
	LevelLow
	LevelMedium
	LevelHigh
	LevelCritical
)

var levelNames = [...]string{"none", "low", "medium", "high", "critical"}

// String returns the lower-case name used in JSON, policies and logs.
func (l Level) String() string {
	if l < LevelNone || l > LevelCritical {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel accepts the names printed by String, case-insensitively.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Level(i), nil
		}
	}
	return LevelNone, fmt.Errorf("unknown risk level %q (want one of none, low, medium, high, critical)", s)
}

// MarshalText makes levels render as their names in JSON and YAML.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses a level name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
