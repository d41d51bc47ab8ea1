package policy

import (
	"github.com/stepgate/stepgate/gate/risk"
)

// prefilter is a rule's conditions squeezed into a few machine words, kept
// in one contiguous slice so Evaluate can discard most of 1,000 rules with
// a handful of bit tests and no pointer chasing. It may let a non-matching
// rule through (the full condition decides) but never drops a matching one.
type prefilter struct {
	cmdFirst [4]uint64 // possible first bytes of the normalised command
	env      uint64    // bloom bits of the exact environment names; all ones = any
	actor    uint64
	branch   uint64
	risk     risk.Level
}

const anyBits = ^uint64(0)

func (c *condition) prefilter() prefilter {
	f := prefilter{env: bloomOf(c.environment), actor: bloomOf(c.actor), branch: bloomOf(c.branch)}
	if c.risk != nil {
		f.risk = *c.risk
	}
	if c.command == nil {
		f.cmdFirst = [4]uint64{anyBits, anyBits, anyBits, anyBits}
	}
	for _, g := range c.command {
		if g.prefix == "" {
			f.cmdFirst = [4]uint64{anyBits, anyBits, anyBits, anyBits}
			break
		}
		b := g.prefix[0]
		f.cmdFirst[b>>6] |= 1 << (b & 63)
	}
	return f
}

// bloomOf sets one bit per exact name; any wildcard pattern (or no key at
// all) admits everything.
func bloomOf(gs []*glob) uint64 {
	if gs == nil {
		return anyBits
	}
	var bits uint64
	for _, g := range gs {
		if !g.exact {
			return anyBits
		}
		bits |= bloomBit(g.prefix)
	}
	return bits
}

// bloomBit hashes with FNV-1a; any stable hash would do.
func bloomBit(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return 1 << (h & 63)
}

// admits is the cheap test; in's bloom bits are computed once per Evaluate.
func (f *prefilter) admits(first byte, env, actor, branch uint64, lvl risk.Level) bool {
	return f.cmdFirst[first>>6]&(1<<(first&63)) != 0 &&
		f.env&env != 0 && f.actor&actor != 0 && f.branch&branch != 0 && lvl >= f.risk
}
