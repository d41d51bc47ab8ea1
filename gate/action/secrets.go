package action

import (
	"sort"
	"strings"
)

// secretNameParts are the words in an environment variable's name that mark
// its value as a secret. Names are split on '_' so PATH is not a PAT.
var secretNameParts = map[string]bool{
	"TOKEN": true, "SECRET": true, "SECRETS": true, "PASSWORD": true, "PASSWD": true,
	"PASS": true, "KEY": true, "APIKEY": true, "CREDENTIAL": true, "CREDENTIALS": true,
	"CREDS": true, "PAT": true, "AUTH": true, "PRIVATE": true, "SESSION": true,
	"COOKIE": true, "DSN": true, "CERT": true, "SIGNATURE": true,
}

// secretNameSuffixes catch glued words such as APITOKEN or DBPASSWORD.
var secretNameSuffixes = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY", "ACCESSKEY"}

// runnerOwned are variables the runner sets whose values are not secrets
// (masking a commit SHA would blank every SHA in the log). The OIDC request
// token is a secret, but the runner already masks it.
var runnerOwnedPrefixes = []string{"GITHUB_", "RUNNER_", "INPUT_", "STATE_", "ACTIONS_ID_TOKEN_REQUEST_URL"}

// plainName are common variables whose values are never secrets, though a
// random-looking temp path might look like one to the entropy check.
var plainName = map[string]bool{
	"HOME": true, "PATH": true, "PWD": true, "OLDPWD": true, "SHELL": true, "USER": true,
	"HOSTNAME": true, "LANG": true, "TERM": true, "TMPDIR": true, "LOGNAME": true,
}

// secretValues picks the values of environ that look like secrets: by the
// variable's name, or because redact changes the value (a known token
// format or a high-entropy string; absolute paths excepted). They are masked in the log and redacted
// from the command shown to reviewers; the gate still runs the real bytes.
func secretValues(environ []string, redact func(string, ...string) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || trivialValue(value) || runnerOwned(name) {
			continue
		}
		if !secretName(name) && (plainName[name] || strings.HasPrefix(value, "/") || redact == nil || redact(value) == value) {
			continue
		}
		if !seen[value] {
			seen[value] = true
			out = append(out, value)
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func secretName(name string) bool {
	up := strings.ToUpper(name)
	for _, part := range strings.FieldsFunc(up, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if secretNameParts[part] {
			return true
		}
		for _, s := range secretNameSuffixes {
			if strings.HasSuffix(part, s) {
				return true
			}
		}
	}
	return false
}

func runnerOwned(name string) bool {
	for _, p := range runnerOwnedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// trivialValue: too short or too common to be worth masking; masking "true"
// or "1" would garble the whole log.
func trivialValue(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 6 {
		return true
	}
	switch strings.ToLower(v) {
	case "true", "false", "null", "none", "undefined":
		return true
	}
	return false
}
