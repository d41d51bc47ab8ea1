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
	c := &compiled{}
	known := func(re string, need ...string) {
		c.known = append(c.known, pattern{regexp.MustCompile(re), need})
	}
	known(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b`, "ghp_", "gho_", "ghu_", "ghs_", "ghr_")
	known(`\bgithub_pat_[A-Za-z0-9_]{22,255}\b`, "github_pat_")
	known(`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`, "akia", "asia", "abia", "acca")
	known(`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`, "xox")
	known(`\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b`, "_live_", "_test_")
	known(`\bAIza[0-9A-Za-z_\-]{35}\b`, "aiza")
	known(`\bglpat-[A-Za-z0-9_\-]{20,}\b`, "glpat-")
	known(`\bnpm_[A-Za-z0-9]{36}\b`, "npm_")
	known(`\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b`, "sg.")
	known(`\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`, "eyj")
	// A private key masks up to its END line, or to the end of the text it
	// is in (a word, a comment, a here-document body).
	known(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)`, "-----begin ")
	known(`\bsk-(?:proj|svcacct|admin|ant-api\d\d)-[A-Za-z0-9_\-]{20,}`, "sk-")
	known(`\bdckr_(?:pat|oat)_[A-Za-z0-9_\-]{20,}`, "dckr_")
	keyed := func(re string, need ...string) {
		c.keyed = append(c.keyed, pattern{regexp.MustCompile(re), need})
	}
	keyed(urlCredsPattern, "://")
	keyed(keyedFlagPattern, "--")
	keyed(keyedPattern, "pass", "secret", "token", "key")
	keyed(authHeaderPattern, "authorization")
	keyed(`(https://hooks\.slack\.com/(?:services|workflows|triggers)/)([A-Za-z0-9+/_\-]{20,})`, "hooks.slack.com")
	c.keyedRE = c.keyed[2].re
	return c
})

// A pattern runs only on text holding one of need (lower case): most words
// hold none, and the regexp engine costs far more than the check.
type pattern struct {
	re   *regexp.Regexp
	need []string
}

func (p pattern) applies(low string) bool {
	for _, n := range p.need {
		if strings.Contains(low, n) {
			return true
		}
	}
	return len(p.need) == 0
}

type compiled struct {
	known   []pattern
	keyed   []pattern // the value is the last group
	keyedRE *regexp.Regexp
}

// keyed finds values after a name that says "secret" (DB_PASSWORD=…,
// api_key: …); keyedFlag the value of flags such as --token. Short flags
// like -p'…' are left alone: too ambiguous.
const keyedPattern = `(?i)((?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token)[A-Za-z0-9_]*(?:=|:\s*)["']?)([^\s"'&;|\x60]{6,})`
const keyedFlagPattern = `(?i)(--(?:[a-z0-9]+-)*(?:password|passwd|token|api-key|access-key|secret-key|client-secret|auth-token)[=\s]["']?)([^\s"'&;|]{4,})`

// authHeader finds the credentials of an Authorization header, after its
// scheme (Bearer, Basic, token …).
const authHeaderPattern = `(?i)\b(?:proxy-)?authorization\s*:\s*(?:(?:bearer|basic|token|bot|digest|negotiate|apikey)\s+)?([^\s"'\x60]{4,})`

// authSchemes are the words after "Authorization:" that are not themselves
// credentials: "Authorization: Bearer $TOKEN" has none to mask.
var authSchemes = map[string]bool{"bearer": true, "basic": true, "token": true, "bot": true, "digest": true, "negotiate": true, "apikey": true}

// urlCreds finds user:password@ in URLs.
const urlCredsPattern = `([a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:)([^/\s@]+)@`

// String returns s with secrets replaced by Mask: each of the given secret
// values (values shorter than 4 characters are ignored, as masking them
// would garble ordinary text), known token formats, credentials in URLs,
// values of password/token-like keys, and long high-entropy strings.
//
// String treats s as plain text (a reason, a comment). A shell command goes
// through Command, which masks only inside literal words.
func String(s string, secrets ...string) string {
	rs := detect(s, secrets)
	if len(rs) == 0 {
		return s
	}
	spans := make([]span, len(rs))
	for i, r := range rs {
		spans[i] = span{start: r[0], end: r[1]}
	}
	return applySpansText(s, spans)
}

// applySpansText replaces every maximal masked run with Mask.
func applySpansText(s string, spans []span) string {
	masked := make([]bool, len(s))
	for _, sp := range spans {
		for i := sp.start; i < sp.end; i++ {
			masked[i] = true
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !masked[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		for i < len(s) && masked[i] {
			i++
		}
		b.WriteString(Mask)
	}
	return b.String()
}

// findPatterns returns the ranges of t that known formats and keyed
// patterns mark as secret. For keyed patterns only the value is a secret:
// the key name, the URL's user, the header's scheme stay visible.
func findPatterns(t string) [][2]int {
	p := patterns()
	low := strings.ToLower(t)
	var out [][2]int
	for _, k := range p.known {
		if !k.applies(low) {
			continue
		}
		for _, m := range k.re.FindAllStringIndex(t, -1) {
			out = append(out, [2]int{m[0], m[1]})
		}
	}
	for _, k := range p.keyed {
		if !k.applies(low) {
			continue
		}
		for _, m := range k.re.FindAllStringSubmatchIndex(t, -1) {
			if k.re == p.keyedRE && m[0] > 0 && t[m[0]-1] == '-' {
				continue // an option (--secret=NAME): keyedFlag decides
			}
			g := len(m)/2 - 1 // the last group is the value
			s, e := m[2*g], m[2*g+1]
			if s < 0 {
				continue
			}
			v := t[s:e]
			if v == Mask || strings.HasPrefix(v, "$") || authSchemes[strings.ToLower(v)] {
				continue // a variable reference is not a secret value
			}
			out = append(out, [2]int{s, e})
		}
	}
	out = append(out, gitleaksFind(t)...)
	return append(out, highEntropy(t)...)
}

// highEntropy masks tokens that look random: at least 24 characters from a
// base64/url-safe alphabet, mixing upper, lower and digits, with high Shannon
// entropy. Pure hex (commit SHAs, digests) is deliberately kept: reviewers
// need to see which commit or image digest a command names.
func highEntropy(s string) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isTokenByte(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && looksRandom(s[start:i]) {
			out = append(out, [2]int{start, i})
		}
		start = -1
	}
	return out
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
