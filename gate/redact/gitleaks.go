package redact

import (
	"math"
	"regexp"
	"strings"
	"sync"
)

// The secret formats come from gitleaks' maintained rule set: its published
// configuration (config/gitleaks.toml of gitleaks v8.30.1, MIT licence,
// pinned in gitleaks/), compiled into gitleaks_rules.go. We apply it with
// the same semantics as gitleaks' detector (keywords, secret group,
// entropy, allowlists) rather than importing gitleaks' Go package: that
// package pulls viper, an archive reader, a WebAssembly runtime and ~60
// modules into every stepgate binary, for ~220 regular expressions; and the
// table is Go code, so a process parses nothing at start.
//
// To update: copy config/gitleaks.toml from the new release into
// gitleaks/, run `go test ./gate/redact -run TestGitleaksTable
// -update-gitleaks` (rewrites gitleaks_rules.go) and regenerate
// gitleaks/examples.json (see gen_examples.go); then run this package's
// tests.

// GitleaksVersion is the gitleaks release whose rules are embedded.
const GitleaksVersion = "v8.30.1"

type glAllowlist struct {
	Condition   string   `toml:"condition"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	StopWords   []string `toml:"stopwords"`
	Paths       []string `toml:"paths"`
	Commits     []string `toml:"commits"`

	regexes []*regexp.Regexp
	lower   []string // stop words, lower case
}

type glRule struct {
	ID          string        `toml:"id"`
	Regex       string        `toml:"regex"`
	Path        string        `toml:"path"`
	SecretGroup int           `toml:"secretGroup"`
	Entropy     float64       `toml:"entropy"`
	Keywords    []string      `toml:"keywords"`
	Allowlists  []glAllowlist `toml:"allowlists"`

	// compiled on the rule's first keyword hit: compiling all ~220
	// patterns costs ~80 ms, paid by every gate process otherwise.
	lazy *glCompiled
}

type glCompiled struct {
	once sync.Once
	re   *regexp.Regexp
	err  error
}

func (r *glRule) compile() error {
	r.lazy.once.Do(func() {
		if r.lazy.re, r.lazy.err = regexp.Compile(r.Regex); r.lazy.err != nil {
			return
		}
		for i := range r.Allowlists {
			if r.lazy.err = r.Allowlists[i].compile(); r.lazy.err != nil {
				return
			}
		}
	})
	return r.lazy.err
}

type glConfig struct {
	Allowlist glAllowlist `toml:"allowlist"`
	Rules     []glRule    `toml:"rules"`

	// byPrefix indexes the rules' keywords by their first two bytes, so a
	// word is checked against the few keywords that can start in it
	// rather than all ~290 (gitleaks uses Aho-Corasick for the same).
	byPrefix map[[2]byte][]keywordOf
	always   []int // rules without keywords
}

type keywordOf struct {
	keyword string
	rule    int
}

// rules are parsed on first use (most stepgate subcommands never redact),
// and each rule's patterns compiled on its first keyword hit.
var gitleaksRules = sync.OnceValues(loadGitleaks)

func loadGitleaks() (*glConfig, error) {
	return prepare(glConfig{Allowlist: gitleaksAllowlist, Rules: gitleaksTable})
}

// prepare readies a rule set for use, copying what it changes.
func prepare(src glConfig) (*glConfig, error) {
	c := glConfig{Allowlist: src.Allowlist}
	if err := c.Allowlist.compile(); err != nil {
		return nil, err
	}
	var kept []glRule
	for _, r := range src.Rules {
		// Rules that need a file path (or have no content pattern) do not
		// apply to a command line.
		if r.Regex == "" || r.Path != "" {
			continue
		}
		kw := make([]string, len(r.Keywords))
		for i, k := range r.Keywords {
			kw[i] = strings.ToLower(k)
		}
		r.Keywords = kw
		r.Allowlists = append([]glAllowlist(nil), r.Allowlists...)
		r.lazy = &glCompiled{}
		kept = append(kept, r)
	}
	c.Rules = kept
	c.byPrefix = map[[2]byte][]keywordOf{}
	for i, r := range c.Rules {
		if len(r.Keywords) == 0 {
			c.always = append(c.always, i)
		}
		for _, k := range r.Keywords {
			if len(k) < 2 {
				c.always = append(c.always, i)
				continue
			}
			p := [2]byte{k[0], k[1]}
			c.byPrefix[p] = append(c.byPrefix[p], keywordOf{k, i})
		}
	}
	return &c, nil
}

func (a *glAllowlist) compile() error {
	a.regexes = nil
	for _, s := range a.Regexes {
		re, err := regexp.Compile(s)
		if err != nil {
			return err
		}
		a.regexes = append(a.regexes, re)
	}
	a.lower = nil
	for _, w := range a.StopWords {
		a.lower = append(a.lower, strings.ToLower(w))
	}
	return nil
}

// allows reports whether the allowlist lets a finding through as not a
// secret. A command has no file path or commit, so an AND condition that
// needs one never holds.
func (a *glAllowlist) allows(secret, match, line string) bool {
	target := secret
	switch a.RegexTarget {
	case "match":
		target = match
	case "line":
		target = line
	}
	regex := false
	for _, re := range a.regexes {
		if re.MatchString(target) {
			regex = true
			break
		}
	}
	stop := false
	low := strings.ToLower(secret)
	for _, w := range a.lower {
		if strings.Contains(low, w) {
			stop = true
			break
		}
	}
	if strings.EqualFold(a.Condition, "AND") {
		if len(a.Paths) > 0 || len(a.Commits) > 0 {
			return false
		}
		return (len(a.regexes) == 0 || regex) && (len(a.StopWords) == 0 || stop) && (len(a.regexes) > 0 || len(a.StopWords) > 0)
	}
	return regex || stop
}

// gitleaksFind returns the ranges of t holding secrets by gitleaks' rules:
// only the secret itself (the rule's secret group), not the key name the
// rule matched around it.
func gitleaksFind(t string) [][2]int {
	c, err := gitleaksRules()
	if err != nil {
		// The embedded file is tested; a broken one must not stop redaction
		// by the other detectors.
		return nil
	}
	return c.find(t)
}

func (c *glConfig) find(t string) [][2]int {
	var out [][2]int
	low := strings.ToLower(t)
	var hit map[int]bool
	for i := 0; i+1 < len(low); i++ {
		for _, k := range c.byPrefix[[2]byte{low[i], low[i+1]}] {
			if strings.HasPrefix(low[i:], k.keyword) {
				if hit == nil {
					hit = map[int]bool{}
				}
				hit[k.rule] = true
			}
		}
	}
	for _, i := range c.always {
		out = append(out, c.Rules[i].find(c, t, low)...)
	}
	for i := range c.Rules {
		if hit[i] {
			out = append(out, c.Rules[i].matches(c, t)...)
		}
	}
	return out
}

// find applies r to t (low is t in lower case), keywords first.
func (r *glRule) find(c *glConfig, t, low string) [][2]int {
	if len(r.Keywords) > 0 {
		hit := false
		for _, k := range r.Keywords {
			if strings.Contains(low, k) {
				hit = true
				break
			}
		}
		if !hit {
			return nil
		}
	}
	return r.matches(c, t)
}

// matches applies r's pattern, entropy and allowlists to t.
func (r *glRule) matches(c *glConfig, t string) [][2]int {
	if r.compile() != nil {
		return nil // TestGitleaksRulesLoad compiles every rule
	}
	var out [][2]int
	for _, m := range r.lazy.re.FindAllStringSubmatchIndex(t, -1) {
		s, e := m[0], m[1]
		// gitleaks trims newlines off the match (a pattern may end in \n).
		for s < e && t[s] == '\n' {
			s++
		}
		for e > s && t[e-1] == '\n' {
			e--
		}
		match := t[s:e]
		ss, se := s, e
		if groups := len(m) / 2; groups > 1 {
			if r.SecretGroup > 0 {
				if r.SecretGroup >= groups || m[2*r.SecretGroup] < 0 {
					continue
				}
				ss, se = m[2*r.SecretGroup], m[2*r.SecretGroup+1]
			} else {
				for g := 1; g < groups; g++ {
					if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
						ss, se = m[2*g], m[2*g+1]
						break
					}
				}
			}
		}
		secret := t[ss:se]
		if secret == "" || strings.Contains(secret, Mask) {
			continue
		}
		if r.Entropy != 0 && shannon(secret) <= r.Entropy {
			continue
		}
		line := lineAround(t, s, e)
		if c.Allowlist.allows(secret, match, line) {
			continue
		}
		allowed := false
		for i := range r.Allowlists {
			if r.Allowlists[i].allows(secret, match, line) {
				allowed = true
				break
			}
		}
		if !allowed {
			out = append(out, [2]int{ss, se})
		}
	}
	return out
}

func lineAround(t string, s, e int) string {
	ls := strings.LastIndexByte(t[:s], '\n') + 1
	le := strings.IndexByte(t[e:], '\n')
	if le < 0 {
		return t[ls:]
	}
	return t[ls : e+le]
}

func shannon(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
