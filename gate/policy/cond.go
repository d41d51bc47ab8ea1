package policy

import (
	"strings"

	"github.com/stepgate/stepgate/gate/risk"
)

// condition is a rule's compiled `if`. Every key that was given must hold;
// nil slices mean the key was absent.
type condition struct {
	command      []*cmdPattern
	environment  []*glob // lower-cased: GitHub environment names ignore case
	branch       []*glob // without refs/heads/
	actor        []*glob // lower-cased: logins ignore case
	source       []string
	risk         *risk.Level
	outsideHours []*window
}

// matches reports whether every key holds; m says how command patterns
// apply (allow: every command; deny and require: any command).
func (c *condition) matches(in *input, m mode) bool {
	// Cheapest checks first: an integer compare, then names that are
	// usually exact (string equality), then the command tree, then the clock.
	if c.risk != nil && in.risk < *c.risk {
		return false
	}
	if c.source != nil && !contains(c.source, in.source) {
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
	for _, w := range c.outsideHours {
		if w.contains(in.time) {
			return false
		}
	}
	if c.command != nil && !in.commandMatches(c.command, m) {
		return false
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

// compilePattern compiles one pattern of a name-valued `if` key.
func compilePattern(key, p string) (*glob, error) {
	switch key {
	case "environment", "actor":
		p = strings.ToLower(strings.TrimSpace(p))
	case "branch":
		p = strings.TrimPrefix(strings.TrimSpace(p), "refs/heads/")
	}
	return compileGlob(p)
}
