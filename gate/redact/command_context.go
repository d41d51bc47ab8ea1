// Secrets that only their neighbours reveal: the value after --password,
// sshpass -p, curl -u user:pass, mysql -pPASS, a value after a key name, an
// assignment to a secret-named variable.

package redact

import (
	"path"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// contextSpans masks secrets that only their neighbours reveal: the value
// after --password or -p of sshpass, curl -u user:pass, mysql -pPASS, a
// value after a key name (aws configure set aws_secret_access_key …), and
// the value of an assignment to a secret-named variable.
func contextSpans(src string, file *syntax.File) []span {
	var spans []span
	syntax.Walk(file, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Assign:
			if n.Name != nil && n.Value != nil && secretVarName(n.Name.Value) {
				spans = append(spans, wordSpans(src, n.Value, 0)...)
			}
		case *syntax.CallExpr:
			spans = append(spans, argSpans(src, n.Args)...)
		}
		return true
	})
	return spans
}

// wordSpans masks the literal bytes of w from the byte at index skip of its
// text on, unless the value is trivial, a path or already masked.
func wordSpans(src string, w *syntax.Word, skip int) []span {
	t, idx := wordUnit(src, w).text()
	if skip > len(t) {
		return nil
	}
	v := strings.TrimSpace(t[skip:])
	if len(v) < 3 || v == Mask || looksLikePath(v) {
		return nil
	}
	return spansOf(idx, skip, len(t))
}

func looksLikePath(v string) bool {
	return strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") || strings.HasPrefix(v, "~/")
}

// litText is w's text with quotes and escapes removed, and whether w is
// wholly literal (no expansion).
func litText(src string, w *syntax.Word) (string, bool) {
	t, idx := wordUnit(src, w).text()
	for _, i := range idx {
		if i == -1 {
			return t, false
		}
	}
	return t, true
}

var (
	// secretFlag is a long (or Java-style single-dash) option whose value
	// is a secret: --password x, --token=x, -storepass x. A bare --secret
	// names one more often than it holds one (gcloud --secret=db-pass,
	// docker build --secret id=…).
	secretFlag = regexp.MustCompile(`(?i)^--?(?:[a-z0-9]+-)*(?:password|passwd|pass|passphrase|token|api-?key|access-?key|secret-?key|secret-?access-?key|client-?secret|auth-?token|storepass|keypass|srcstorepass|deststorepass)$`)
	// keyName is an argument naming a secret key whose value follows as
	// the next argument: aws configure set aws_secret_access_key …,
	// npm config set //registry/:_authToken …. A bare "secret" or "token"
	// is too common a word (kubectl create secret generic) to count.
	keyName = regexp.MustCompile(`(?i)^(?:password|passwd|[\w./:-]*[_.:](?:password|passwd|secret|(?:secret_access|secret|access|api|private|signing|master)[_-]?key|\w*token|client[_-]?secret))$`)
)

// Commands whose short options carry secrets, and which ones.
var (
	sshpassLike = map[string]string{"sshpass": "-p", "redis-cli": "-a"}
	mysqlLike   = map[string]bool{"mysql": true, "mariadb": true, "mysqldump": true, "mysqladmin": true, "mysqlimport": true, "mysqlshow": true, "mysqlcheck": true, "mysqlsh": true}
	curlLike    = map[string]bool{"curl": true, "http": true, "https": true}
)

// arg is one argument of a command as the context rules see it.
type arg struct {
	src         string
	args        []*syntax.Word
	i           int
	w, next     *syntax.Word // the argument and the one after it (nil: none)
	lt          string       // w's literal text
	whole       bool         // w is wholly literal
	flag        string       // lt before its first '='
	hasValue    bool         // lt holds '='
	nextIsValue bool         // next exists and is not an option
	cmd         string       // the secret-taking command these arguments belong to
}

// secretCommands are the commands some argRules apply to.
var secretCommands = map[string]bool{"docker": true, "smbclient": true, "openssl": true}

func newArg(src string, args []*syntax.Word, i int, cmd string) arg {
	a := arg{src: src, args: args, i: i, w: args[i], cmd: cmd}
	a.lt, a.whole = litText(src, a.w)
	if name := path.Base(a.lt); a.whole && (sshpassLike[name] != "" || mysqlLike[name] || curlLike[name] || secretCommands[name]) {
		a.cmd = name
	}
	if i+1 < len(args) {
		a.next = args[i+1]
		nt, _ := litText(src, a.next)
		a.nextIsValue = !strings.HasPrefix(nt, "-")
	}
	a.flag, _, a.hasValue = strings.Cut(a.lt, "=")
	return a
}

// argRules say what to mask around one argument; they are tried in order
// and the first that applies (ok) decides, even when it masks nothing.
var argRules = []func(a arg) (spans []span, ok bool){
	secretFlagValue,
	sshpassValue,
	mysqlPassword,
	curlUser,
	dockerLoginPassword,
	smbclientPassword,
	opensslPass,
	keyNameValue,
}

// argSpans masks what a command's arguments reveal about each other.
func argSpans(src string, args []*syntax.Word) []span {
	var spans []span
	cmd := ""
	for i := range args {
		a := newArg(src, args, i, cmd)
		cmd = a.cmd
		if !a.whole {
			// An argument built from expansions names nothing we can judge;
			// its literal parts are still searched by the detectors.
			continue
		}
		for _, rule := range argRules {
			if s, ok := rule(a); ok {
				spans = append(spans, s...)
				break
			}
		}
	}
	return spans
}

// secretFlagValue: --password x, --token=x, -storepass x.
func secretFlagValue(a arg) ([]span, bool) {
	if !strings.HasPrefix(a.lt, "-") || !secretFlag.MatchString(a.flag) || strings.HasPrefix(a.flag, "--no-") {
		return nil, false
	}
	switch {
	case a.hasValue:
		return wordSpans(a.src, a.w, len(a.flag)+1), true
	case a.nextIsValue:
		return wordSpans(a.src, a.next, 0), true
	}
	return nil, true
}

// sshpassValue: sshpass -p PASS, sshpass -pPASS, redis-cli -a PASS.
func sshpassValue(a arg) ([]span, bool) {
	opt := sshpassLike[a.cmd]
	if a.cmd == "" || opt == "" || !strings.HasPrefix(a.lt, opt) {
		return nil, false
	}
	switch {
	case a.lt == opt && a.nextIsValue:
		return wordSpans(a.src, a.next, 0), true
	case len(a.lt) > 2:
		return wordSpans(a.src, a.w, 2), true
	}
	return nil, true
}

// mysqlPassword: mysql -pPASS.
func mysqlPassword(a arg) ([]span, bool) {
	if !mysqlLike[a.cmd] || !strings.HasPrefix(a.lt, "-p") || len(a.lt) <= 2 || strings.HasPrefix(a.lt, "--") {
		return nil, false
	}
	return wordSpans(a.src, a.w, 2), true
}

// curlUser: curl -u user:pass, -uuser:pass, --user=user:pass (and the
// proxy and auth forms).
func curlUser(a arg) ([]span, bool) {
	if !curlLike[a.cmd] {
		return nil, false
	}
	lt := a.lt
	switch {
	case lt == "-u" || lt == "--user" || lt == "-U" || lt == "--proxy-user" || lt == "-a" || lt == "--auth":
		if a.next != nil {
			return afterColon(a.src, a.next, 0), true
		}
		return nil, true
	case (strings.HasPrefix(lt, "-u") || strings.HasPrefix(lt, "-U")) && len(lt) > 2 && !strings.HasPrefix(lt, "--"):
		return afterColon(a.src, a.w, 2), true
	case a.hasValue && (a.flag == "--user" || a.flag == "--proxy-user" || a.flag == "--auth"):
		return afterColon(a.src, a.w, len(a.flag)+1), true
	}
	return nil, false
}

// dockerLoginPassword: docker login -p PASS.
func dockerLoginPassword(a arg) ([]span, bool) {
	if a.cmd != "docker" || a.lt != "-p" || !a.nextIsValue || a.i < 1 || !hasArg(a.src, a.args[:a.i], "login") {
		return nil, false
	}
	return wordSpans(a.src, a.next, 0), true
}

// smbclientPassword: smbclient -U user%pass.
func smbclientPassword(a arg) ([]span, bool) {
	if a.cmd != "smbclient" || (a.lt != "-U" && a.lt != "--user") || a.next == nil {
		return nil, false
	}
	if nt, _ := litText(a.src, a.next); strings.Contains(nt, "%") {
		return wordSpans(a.src, a.next, strings.Index(nt, "%")+1), true
	}
	return nil, true
}

// opensslPass: openssl … -passin pass:PASS.
func opensslPass(a arg) ([]span, bool) {
	if a.cmd != "openssl" || !strings.HasPrefix(a.lt, "pass:") {
		return nil, false
	}
	return wordSpans(a.src, a.w, len("pass:")), true
}

// keyNameValue: aws configure set aws_secret_access_key VALUE.
func keyNameValue(a arg) ([]span, bool) {
	if strings.HasPrefix(a.lt, "-") || !keyName.MatchString(a.lt) || !a.nextIsValue {
		return nil, false
	}
	return wordSpans(a.src, a.next, 0), true
}

func hasArg(src string, args []*syntax.Word, s string) bool {
	for _, a := range args {
		if lt, _ := litText(src, a); lt == s {
			return true
		}
	}
	return false
}

// afterColon masks what follows the first ':' in w's literal text from
// index skip on (user:password → user:***); a value without a password
// (curl then prompts) is left alone.
func afterColon(src string, w *syntax.Word, skip int) []span {
	t, _ := litText(src, w)
	if skip > len(t) {
		return nil
	}
	i := strings.IndexByte(t[skip:], ':')
	if i < 0 {
		return nil
	}
	return wordSpans(src, w, skip+i+1)
}

// secretVarName reports whether an assigned variable's name says its value
// is a secret (DB_PASSWORD=…, GITHUB_TOKEN=…, AWS_SECRET_ACCESS_KEY=…).
func secretVarName(name string) bool {
	up := strings.ToUpper(name)
	parts := strings.FieldsFunc(up, func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for i, p := range parts {
		switch p {
		case "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "APIKEY", "PASSPHRASE", "CREDENTIALS", "PAT":
			return true
		case "KEY":
			if i > 0 {
				switch parts[i-1] {
				case "API", "ACCESS", "SECRET", "PRIVATE", "SIGNING", "ENCRYPTION", "MASTER", "LICENSE", "SERVICE":
					return true
				}
			}
		}
		for _, s := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY"} {
			if strings.HasSuffix(p, s) && p != s {
				return true
			}
		}
	}
	return false
}
