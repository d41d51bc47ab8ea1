package policy

import (
	"strings"

	"github.com/stepgate/stepgate/gate/risk"
)

// condition is a rule's compiled `if`. Every key that was given must hold;
// nil slices mean the key was absent.
type condition struct {
	command      []*glob
	environment  []*glob // lower-cased: GitHub environment names ignore case
	branch       []*glob // without refs/heads/
	actor        []*glob // lower-cased: logins ignore case
	risk         *risk.Level
	outsideHours []*window
}

func (c *condition) matches(in *input) bool {
	// Cheapest checks first: an integer compare, then names that are
	// usually exact (string equality), then command globs, then the clock.
	if c.risk != nil && in.risk < *c.risk {
		return false
	}
	if c.environment != nil && !anyGlob(c.environment, in.env, nil) {
		return false
	}
	if c.actor != nil && !anyGlob(c.actor, in.actor, nil) {
		return false
	}
	if c.branch != nil && !anyGlob(c.branch, in.branch, nil) {
		return false
	}
	if c.command != nil && !anyGlob(c.command, in.command, in.barriers) {
		return false
	}
	for _, w := range c.outsideHours {
		if w.contains(in.time) {
			return false
		}
	}
	return true
}

func anyGlob(gs []*glob, s string, barrier []bool) bool {
	for _, g := range gs {
		if g.match(s, barrier) {
			return true
		}
	}
	return false
}

// compilePattern compiles one pattern of an `if` key.
func compilePattern(key, p string) (*glob, error) {
	switch key {
	case "command":
		p = normalizePattern(p)
	case "environment", "actor":
		p = strings.ToLower(strings.TrimSpace(p))
	case "branch":
		p = strings.TrimPrefix(strings.TrimSpace(p), "refs/heads/")
	}
	return compileGlob(p)
}
