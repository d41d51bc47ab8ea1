package action

import (
	"sort"
	"strings"
)

// secretNameParts are the words in an environment variable's name that mark
// its value as a secret. Names are split on '_' so PATH is not a PAT. Words
// that only suggest a secret nearby (CERT, KEY, AUTH, SESSION) are not
// here: SSL_CERT_FILE holds a path, SESSION_TIMEOUT a number. Their values
// are masked when the value itself looks secret (see secretValues).
var secretNameParts = map[string]bool{
	"TOKEN": true, "SECRET": true, "SECRETS": true, "PASSWORD": true, "PASSWD": true,
	"PASS": true, "PASSPHRASE": true, "APIKEY": true, "CREDENTIAL": true, "CREDENTIALS": true,
	"CREDS": true, "PAT": true, "COOKIE": true,
}

// keyQualifiers make a following KEY a secret's name (API_KEY,
// AWS_SECRET_ACCESS_KEY, SIGNING_KEY), unlike SSH_KEY_PATH or SORT_KEY.
var keyQualifiers = map[string]bool{
	"API": true, "ACCESS": true, "SECRET": true, "PRIVATE": true, "SIGNING": true,
	"ENCRYPTION": true, "MASTER": true, "LICENSE": true, "SERVICE": true, "ACCOUNT": true,
}

// notValueParts end a name that refers to a secret rather than holding it:
// DB_PASSWORD_FILE, TOKEN_PATH, SECRET_NAME, CLIENT_SECRET_ID.
var notValueParts = map[string]bool{
	"FILE": true, "PATH": true, "DIR": true, "NAME": true, "ID": true, "TYPE": true, "URL": true,
	"URI": true, "HOST": true, "PORT": true, "USER": true, "USERNAME": true, "ENDPOINT": true,
	"REGION": true, "ARN": true, "TTL": true, "TIMEOUT": true, "LENGTH": true, "VERSION": true,
}

// broadNameParts are the words of names that may hold a secret, for
// decisions where erring costs nothing (binding sends only a hash of such
// a value): the masking list above plus the words that only suggest one.
var broadNameParts = map[string]bool{
	"KEY": true, "AUTH": true, "PRIVATE": true, "SESSION": true, "DSN": true, "CERT": true, "SIGNATURE": true,
}

// mayHoldSecret reports whether a variable's name suggests a secret at
// all (DEPLOY_KEY, AUTH_HEADER, SESSION_ID, SSL_CERT_FILE). Masking uses
// the stricter secretName and looks at the value.
func mayHoldSecret(name string) bool {
	if secretName(name) {
		return true
	}
	for _, part := range strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if secretNameParts[part] || broadNameParts[part] {
			return true
		}
	}
	return false
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

// secretValues picks the values of environ that are secrets. It judges
// values, not just names: a value counts when redact changes it (a known
// token format, gitleaks' rules, credentials in a URL, a high-entropy
// string), or when the variable's name says it holds a secret and the value
// looks like one (not a path, nor a word such as "true"). They are
// masked in the log and redacted from the command shown to reviewers; the
// gate still runs the real bytes.
func secretValues(environ []string, redact func(string, ...string) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || trivialValue(value) || runnerOwned(name) {
			continue
		}
		path := isPath(value)
		byValue := !plainName[name] && !path && redact != nil && redact(value) != value
		byName := secretName(name) && !path
		if !byValue && !byName {
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
	parts := strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	if len(parts) == 0 || notValueParts[parts[len(parts)-1]] {
		return false
	}
	for i, part := range parts {
		if secretNameParts[part] || part == "KEY" && i > 0 && keyQualifiers[parts[i-1]] {
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

// isPath: a value that names a file (a secret-named variable may hold the
// path to its secret: DB_PASSWORD=/run/secrets/db). Masking it would blank
// that path wherever it appears in the log.
func isPath(v string) bool {
	v = strings.TrimSpace(v)
	if strings.ContainsAny(v, " \n\t") {
		return false
	}
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") || strings.HasPrefix(v, "~/") {
		return true
	}
	return len(v) > 2 && v[1] == ':' && (v[2] == '\\' || v[2] == '/') // C:\path
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
