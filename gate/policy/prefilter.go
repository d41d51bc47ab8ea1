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
	env      keyFilter
	actor    keyFilter
	branch   keyFilter
	risk     risk.Level
}

// keyFilter screens one name-valued key (environment, actor, branch).
type keyFilter struct {
	first uint64 // bit (b & 63) for each possible first byte b
	exact uint64 // bloom bits of the possible values, when all are exact
}

const anyBits = ^uint64(0)

var anyKey = keyFilter{first: anyBits, exact: anyBits}

func (c *condition) prefilter() prefilter {
	f := prefilter{env: keyFilterOf(c.environment), actor: keyFilterOf(c.actor), branch: keyFilterOf(c.branch)}
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

// keyFilterOf: no key at all admits everything; a pattern without a
// literal first byte admits every first byte; a wildcard admits every value.
func keyFilterOf(gs []*glob) keyFilter {
	if gs == nil {
		return anyKey
	}
	var k keyFilter
	for _, g := range gs {
		if g.prefix == "" {
			k.first = anyBits
		} else {
			k.first |= firstBit(g.prefix)
		}
		if g.exact {
			k.exact |= bloomBit(g.prefix)
		} else {
			k.exact = anyBits
		}
	}
	return k
}

// keyBits is a fact's side of a keyFilter, computed once per Evaluate.
type keyBits struct{ first, exact uint64 }

func bitsOf(s string) keyBits { return keyBits{first: firstBit(s), exact: bloomBit(s)} }

// firstBit maps a value's first byte to one of 64 bits; an empty value gets
// bit 0, which patterns with a literal prefix only share by coincidence.
func firstBit(s string) uint64 {
	if s == "" {
		return 1
	}
	return 1 << (s[0] & 63)
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

func (k *keyFilter) admits(b keyBits) bool { return k.first&b.first != 0 && k.exact&b.exact != 0 }

// admits is the cheap test. A false positive only costs the full check.
func (f *prefilter) admits(first byte, env, actor, branch keyBits, lvl risk.Level) bool {
	return f.cmdFirst[first>>6]&(1<<(first&63)) != 0 && lvl >= f.risk &&
		f.env.admits(env) && f.branch.admits(branch) && f.actor.admits(actor)
}
