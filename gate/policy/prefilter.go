package policy

import (
	"math/bits"
	"strings"

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
		for _, pre := range g.prefixes() {
			if pre == "" {
				f.cmdFirst = [4]uint64{anyBits, anyBits, anyBits, anyBits}
				break
			}
			// Deny patterns ignore case: admit both.
			for _, b := range []byte{pre[0], strings.ToLower(pre[:1])[0], strings.ToUpper(pre[:1])[0]} {
				f.cmdFirst[b>>6] |= 1 << (b & 63)
			}
		}
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

// firstBit maps a value's first byte to one of 64 bits; an empty value gets
// bit 0, which patterns with a literal prefix only share by coincidence.
func firstBit(s string) uint64 { return 1 << firstIdx(s) }

func firstIdx(s string) uint {
	if s == "" {
		return 0
	}
	return uint(s[0] & 63)
}

func bloomBit(s string) uint64 { return 1 << bloomIdx(s) }

// bloomIdx hashes with FNV-1a into 64 buckets; any stable hash would do.
func bloomIdx(s string) uint {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return uint(h & 63)
}

// ruleIndex turns the prefilters into bitsets over rules, one per possible
// fact value, so Evaluate finds the candidate rules by ANDing a few words
// per 64 rules instead of testing every rule: a 1,000-rule policy costs
// about 130 word operations before any full condition check.
type ruleIndex struct {
	n, words int
	cmd      []uint64       // [256][words]: rules admitting a command starting with byte b
	keys     [3][2][]uint64 // env, actor, branch × first byte, exact bloom: [64][words]
	risk     []uint64       // [5][words]: rules whose minimum risk is at most the level
}

func newRuleIndex(filters []prefilter) *ruleIndex {
	x := &ruleIndex{n: len(filters), words: (len(filters) + 63) / 64}
	x.cmd = make([]uint64, 256*x.words)
	x.risk = make([]uint64, 5*x.words)
	for k := range x.keys {
		for j := range x.keys[k] {
			x.keys[k][j] = make([]uint64, 64*x.words)
		}
	}
	for i, f := range filters {
		word, bit := i/64, uint64(1)<<(i%64)
		for b := 0; b < 256; b++ {
			if f.cmdFirst[b>>6]&(1<<(b&63)) != 0 {
				x.cmd[b*x.words+word] |= bit
			}
		}
		for k, kf := range [3]keyFilter{f.env, f.actor, f.branch} {
			for v := 0; v < 64; v++ {
				if kf.first&(1<<v) != 0 {
					x.keys[k][0][v*x.words+word] |= bit
				}
				if kf.exact&(1<<v) != 0 {
					x.keys[k][1][v*x.words+word] |= bit
				}
			}
		}
		for lvl := risk.LevelNone; lvl <= risk.LevelCritical; lvl++ {
			if lvl >= f.risk {
				x.risk[int(lvl)*x.words+word] |= bit
			}
		}
	}
	return x
}

// candidates returns a bitset of the rules that may match in; buf is
// reused when large enough.
func (x *ruleIndex) candidates(in *input, buf []uint64) []uint64 {
	w := x.words
	in.build()
	if cap(buf) < 2*w {
		buf = make([]uint64, 2*w)
	}
	// Rules admitting the first byte of some command name of the tree
	// (all of them when a name is decided at run time, or the tree is empty).
	cmdRow := buf[w : 2*w]
	switch {
	case in.anyFirst || len(in.views) == 0:
		for j := range cmdRow {
			cmdRow[j] = anyBits
		}
	default:
		clear(cmdRow)
		for hi, bitsWord := range in.firsts {
			for bitsWord != 0 {
				b := hi*64 + bits.TrailingZeros64(bitsWord)
				bitsWord &= bitsWord - 1
				row := x.cmd[b*w : (b+1)*w]
				for j := range cmdRow {
					cmdRow[j] |= row[j]
				}
			}
		}
	}
	lvl := min(max(in.risk, risk.LevelNone), risk.LevelCritical)
	rows := [8][]uint64{
		cmdRow,
		x.risk[int(lvl)*w : (int(lvl)+1)*w],
	}
	for k, v := range [3]string{in.env, in.actor, in.branch} {
		f, e := int(firstIdx(v)), int(bloomIdx(v))
		rows[2+2*k] = x.keys[k][0][f*w : (f+1)*w]
		rows[3+2*k] = x.keys[k][1][e*w : (e+1)*w]
	}
	cand := buf[:w]
	copy(cand, rows[0])
	for _, r := range rows[1:] {
		for j := range cand {
			cand[j] &= r[j]
		}
	}
	return cand
}
