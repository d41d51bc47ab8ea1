package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// glob is a compiled pattern. Patterns are compiled once by Parse so that
// Evaluate never builds a regexp: a literal prefix check rejects most rules
// with one string comparison, which is what keeps 1,000 rules in budget.
type glob struct {
	src    string
	prefix string // literal text every match starts with
	suffix string // literal text every match ends with (only if the pattern ends in a literal)
	toks   []tok
	exact  bool // no metacharacters: match is string equality
	simple bool // only literals and '*' / '**': greedy piece search is exact
	pieces []string
	star   bool // has a '*' (which barriers stop)
	dstar  bool // has a '**'
	opLit  bool // has a literal that can sit on a barrier (; & | < > ( ) newline ` $)
}

type tokKind uint8

const (
	tokChar  tokKind = iota // one literal rune
	tokAny                  // '?': one rune, never a barrier
	tokClass                // '[...]': one rune from a set
	tokStar                 // '*': any run that crosses no barrier
	tokDStar                // '**': any run at all
)

type tok struct {
	kind   tokKind
	r      rune
	negate bool
	ranges []rune // pairs lo, hi
}

var errEmptyPattern = errors.New("empty pattern")

// compileGlob parses a pattern: '*' any run of characters (spaces and '/'
// included, shell control operators excluded), '**' any run at all, '?' one
// character, '[a-z]' / '[!a-z]' a class, '\x' a literal x.
func compileGlob(pattern string) (*glob, error) {
	if strings.TrimSpace(pattern) == "" {
		return nil, errEmptyPattern
	}
	g := &glob{src: pattern}
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch r {
		case '*':
			if strings.HasPrefix(pattern[i:], "**") {
				g.toks = append(g.toks, tok{kind: tokDStar})
				i += 2
				for i < len(pattern) && pattern[i] == '*' {
					i++
				}
				continue
			}
			g.toks = append(g.toks, tok{kind: tokStar})
		case '?':
			g.toks = append(g.toks, tok{kind: tokAny})
		case '[':
			t, n, err := compileClass(pattern[i:])
			if err != nil {
				return nil, err
			}
			g.toks = append(g.toks, t)
			i += n
			continue
		case '\\':
			if i+1 >= len(pattern) {
				return nil, errors.New(`trailing "\" escapes nothing`)
			}
			r, size = utf8.DecodeRuneInString(pattern[i+1:])
			g.toks = append(g.toks, tok{kind: tokChar, r: r})
			i += 1 + size
			continue
		default:
			g.toks = append(g.toks, tok{kind: tokChar, r: r})
		}
		i += size
	}
	g.finish()
	return g, nil
}

func compileClass(s string) (tok, int, error) {
	t := tok{kind: tokClass}
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		t.negate = true
		i++
	}
	first := true
	for i < len(s) {
		if s[i] == ']' && !first {
			if len(t.ranges) == 0 {
				return t, 0, errors.New("empty character class")
			}
			return t, i + 1, nil
		}
		first = false
		lo, n := utf8.DecodeRuneInString(s[i:])
		if lo == '\\' && i+1 < len(s) {
			lo, n = utf8.DecodeRuneInString(s[i+1:])
			n++
		}
		i += n
		hi := lo
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			h, m := utf8.DecodeRuneInString(s[i+1:])
			if h < lo {
				return t, 0, fmt.Errorf("bad range %c-%c in character class", lo, h)
			}
			hi = h
			i += 1 + m
		}
		t.ranges = append(t.ranges, lo, hi)
	}
	return t, 0, errors.New(`unterminated character class (missing "]")`)
}

// finish precomputes the literal prefix/suffix and the fast-path shape.
func (g *glob) finish() {
	var b strings.Builder
	i := 0
	for ; i < len(g.toks) && g.toks[i].kind == tokChar; i++ {
		b.WriteRune(g.toks[i].r)
	}
	g.prefix = b.String()
	if i == len(g.toks) {
		g.exact = true
		return
	}
	j := len(g.toks)
	for j > i && g.toks[j-1].kind == tokChar {
		j--
	}
	b.Reset()
	for _, t := range g.toks[j:] {
		b.WriteRune(t.r)
	}
	g.suffix = b.String()
	g.simple = true
	b.Reset()
	for _, t := range g.toks {
		switch t.kind {
		case tokChar:
			b.WriteRune(t.r)
			g.opLit = g.opLit || strings.ContainsRune(";&|<>()\n`$", t.r)
		case tokStar, tokDStar:
			g.star = g.star || t.kind == tokStar
			g.dstar = g.dstar || t.kind == tokDStar
			g.pieces = append(g.pieces, b.String())
			b.Reset()
		default:
			g.simple = false
		}
	}
	g.pieces = append(g.pieces, b.String())
}

// match reports whether s matches the whole pattern. barrier, if not nil,
// marks byte positions of s that '*', '?' and classes may not consume.
func (g *glob) match(s string, barrier []bool) bool {
	if g.exact {
		return s == g.prefix
	}
	if len(s) < len(g.prefix) || s[:len(g.prefix)] != g.prefix {
		return false
	}
	if len(s)-len(g.prefix) < len(g.suffix) || !strings.HasSuffix(s, g.suffix) {
		return false
	}
	if g.simple && (barrier == nil || !g.star) {
		return matchPieces(g.pieces, s)
	}
	// barrier != nil means s has at least one barrier, and only a literal
	// or '**' may consume it: skip the NFA for the common `tool sub *`
	// pattern against a multi-line script.
	if barrier != nil && !g.dstar && !g.opLit {
		return false
	}
	return g.matchNFA(s, barrier)
}

// matchPieces matches "p0*p1*...*pn": with only one kind of wildcard the
// leftmost occurrence of each middle piece is always a safe choice.
func matchPieces(pieces []string, s string) bool {
	first, last := pieces[0], pieces[len(pieces)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range pieces[1 : len(pieces)-1] {
		k := strings.Index(mid, p)
		if k < 0 {
			return false
		}
		mid = mid[k+len(p):]
	}
	return true
}

// matchNFA simulates the pattern as an NFA over token positions, so two
// kinds of star and barriers never cause exponential backtracking.
func (g *glob) matchNFA(s string, barrier []bool) bool {
	n := len(g.toks) + 1
	var curBuf, nextBuf [4]uint64
	cur, next := curBuf[:], nextBuf[:]
	if w := (n + 63) / 64; w > len(cur) {
		cur, next = make([]uint64, w), make([]uint64, w)
	} else {
		cur, next = cur[:w], next[:w]
	}
	set(cur, 0)
	g.closure(cur)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		blocked := barrier != nil && barrier[i]
		clear(next)
		any := false
		for st := 0; st < len(g.toks); st++ {
			if !has(cur, st) {
				continue
			}
			t := &g.toks[st]
			switch {
			case t.kind == tokChar && t.r == r,
				t.kind == tokAny && !blocked,
				t.kind == tokClass && !blocked && t.matches(r):
				set(next, st+1)
				any = true
			case t.kind == tokDStar, t.kind == tokStar && !blocked:
				set(next, st)
				any = true
			}
		}
		if !any {
			return false
		}
		g.closure(next)
		cur, next = next, cur
		i += size
	}
	return has(cur, len(g.toks))
}

// closure adds the states reachable by letting stars match nothing.
func (g *glob) closure(bits []uint64) {
	for st := 0; st < len(g.toks); st++ {
		if has(bits, st) && (g.toks[st].kind == tokStar || g.toks[st].kind == tokDStar) {
			set(bits, st+1)
		}
	}
}

func (t *tok) matches(r rune) bool {
	in := false
	for k := 0; k+1 < len(t.ranges); k += 2 {
		if r >= t.ranges[k] && r <= t.ranges[k+1] {
			in = true
			break
		}
	}
	return in != t.negate
}

func set(b []uint64, i int)      { b[i/64] |= 1 << (i % 64) }
func has(b []uint64, i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

// canStartWith reports whether some string that starts with p matches the
// pattern: a word decided at run time whose known text is p may match.
func (g *glob) canStartWith(p string) bool {
	if p == "" {
		return true
	}
	if g.exact {
		return strings.HasPrefix(g.prefix, p)
	}
	n := min(len(p), len(g.prefix))
	if p[:n] != g.prefix[:n] {
		return false
	}
	w := (len(g.toks) + 1 + 63) / 64
	cur, next := make([]uint64, w), make([]uint64, w)
	set(cur, 0)
	g.closure(cur)
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		clear(next)
		alive := false
		for st := 0; st < len(g.toks); st++ {
			if !has(cur, st) {
				continue
			}
			t := &g.toks[st]
			switch {
			case t.kind == tokChar && t.r == r, t.kind == tokAny, t.kind == tokClass && t.matches(r):
				set(next, st+1)
				alive = true
			case t.kind == tokStar || t.kind == tokDStar:
				set(next, st)
				alive = true
			}
		}
		if !alive {
			return false
		}
		g.closure(next)
		cur, next = next, cur
		i += size
	}
	for _, x := range cur {
		if x != 0 {
			return true
		}
	}
	return false
}
