// Package redact keeps secrets out of everything stepgate shows: check runs,
// comments, logs, job summaries and the audit trail (security invariant 7).
// The runner redacts before a command leaves it; the App redacts again, so a
// client that forgot cannot leak a known token format.
//
// It also renders untrusted text so that nothing in it can break out of its
// markdown block or hide what it does (bidi overrides, control characters).
package redact

import (
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Mask replaces every secret.
const Mask = "***"

// patterns holds token formats with a recognisable shape (known) and the
// keyed patterns below, whose first group (a key name or URL user) is kept.
// They are compiled on first use, not at start-up: every stepgate process
// imports this package, and most subcommands never redact.
var patterns = sync.OnceValue(func() *compiled {
	return &compiled{
		known: []*regexp.Regexp{
			regexp.MustCompile(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b`),
			regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{22,255}\b`),
			regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`),
			regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`),
			regexp.MustCompile(`\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b`),
			regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}\b`),
			regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-]{20,}\b`),
			regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`),
			regexp.MustCompile(`\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b`),
			regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`),
			regexp.MustCompile(`(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`),
		},
		keyed:     regexp.MustCompile(keyedPattern),
		keyedFlag: regexp.MustCompile(keyedFlagPattern),
		urlCreds:  regexp.MustCompile(urlCredsPattern),
	}
})

type compiled struct {
	known                      []*regexp.Regexp
	keyed, keyedFlag, urlCreds *regexp.Regexp
}

// keyed finds values after a name that says "secret" (DB_PASSWORD=…,
// api_key: …); keyedFlag the value of flags such as --token. Short flags
// like -p'…' are left alone: too ambiguous.
const keyedPattern = `(?i)((?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token)[A-Za-z0-9_]*(?:=|:\s*)["']?)([^\s"'&;|]{6,})`
const keyedFlagPattern = `(?i)(--(?:password|passwd|secret|token|api-key|access-key|client-secret|auth-token)[=\s]["']?)([^\s"'&;|]{4,})`

// urlCreds finds user:password@ in URLs.
const urlCredsPattern = `([a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:)([^/\s@]+)@`

// String returns s with secrets replaced by Mask: each of the given secret
// values (values shorter than 4 characters are ignored, as masking them
// would garble ordinary text), known token formats, credentials in URLs,
// values of password/token-like keys, and long high-entropy strings.
func String(s string, secrets ...string) string {
	// Longest first, so a secret that contains another is masked whole.
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, v := range sorted {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	p := patterns()
	for _, re := range p.known {
		s = re.ReplaceAllString(s, Mask)
	}
	s = p.urlCreds.ReplaceAllString(s, "${1}"+Mask+"@")
	s = p.keyedFlag.ReplaceAllStringFunc(s, maskSecondGroup(p.keyedFlag))
	s = p.keyed.ReplaceAllStringFunc(s, maskSecondGroup(p.keyed))
	return highEntropy(s)
}

func maskSecondGroup(re *regexp.Regexp) func(string) string {
	return func(m string) string {
		sub := re.FindStringSubmatch(m)
		if len(sub) < 3 || sub[2] == Mask || strings.HasPrefix(sub[2], "$") {
			return m // a variable reference is not a secret value
		}
		return sub[1] + Mask
	}
}

// highEntropy masks tokens that look random: at least 24 characters from a
// base64/url-safe alphabet, mixing upper, lower and digits, with high Shannon
// entropy. Pure hex (commit SHAs, digests) is deliberately kept: reviewers
// need to see which commit or image digest a command names.
func highEntropy(s string) string {
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		tok := s[start:end]
		if looksRandom(tok) {
			b.WriteString(Mask)
		} else {
			b.WriteString(tok)
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		if isTokenByte(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		b.WriteByte(s[i])
	}
	flush(len(s))
	return b.String()
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '=' || c == '_' || c == '-'
}

func looksRandom(tok string) bool {
	if len(tok) < 24 || tok == Mask {
		return false
	}
	var upper, lower, digit int
	var counts [256]int
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		counts[c]++
		switch {
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= 'a' && c <= 'z':
			lower++
		case c >= '0' && c <= '9':
			digit++
		}
	}
	if upper == 0 || lower == 0 || digit == 0 {
		return false
	}
	// Identifiers such as SOME_LONG_CONSTANT_NAME_V2 or kebab-case words are
	// mostly separators and letters in runs; random tokens have few.
	if strings.Count(tok, "_")+strings.Count(tok, "-") > len(tok)/6 {
		return false
	}
	var h float64
	n := float64(len(tok))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h >= 4.0
}
