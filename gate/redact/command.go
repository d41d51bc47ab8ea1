package redact

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Command redacts a shell command without changing what it does or how it
// reads (security invariant 9). It parses src as bash, finds secrets in each
// word (and in each comment and here-document body) and replaces them only
// inside the word's literal parts: unquoted text, single- and double-quoted
// text, here-document bodies and comments. Expansions, substitutions,
// operators and redirections are never touched, so everything that runs
// stays visible: a secret-looking prefix (a PEM header, --token=…) can hide
// at most the rest of its own word.
//
// The redacted text is parsed again and must have the same syntax tree shape
// as src (same commands, operators, expansions, redirections, nesting). If it
// would not, or src does not parse, Command returns an error that says why
// and names no secret. Mask ("***") is an opaque literal in the result.
//
// secrets are known secret values (the runner's); values shorter than 4
// bytes are ignored. Command is idempotent: redacting its own output
// changes nothing, so the App can redact a received command again.
func Command(src string, secrets []string) (string, error) {
	file, err := parse(src)
	if err != nil {
		return "", fmt.Errorf("cannot redact the command: it does not parse as a shell script: %s", safeParseError(err, secrets))
	}
	var units []unit
	syntax.Walk(file, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Word:
			units = append(units, wordUnit(src, n))
		case *syntax.Comment:
			start := int(n.Hash.Offset()) + 1
			units = append(units, unit{pieces: []piece{{text: n.Text, start: start, lit: true}}})
		}
		return true
	})
	var spans []span
	for _, u := range units {
		spans = append(spans, u.find(secrets)...)
	}
	spans = append(spans, contextSpans(src, file)...)
	spans = append(spans, acrossWords(src, units, secrets)...)
	out := applySpans(src, spans)
	if out == src {
		return src, nil
	}
	again, err := parse(out)
	if err != nil {
		return "", errors.New("cannot redact the command without changing its syntax: the redacted text no longer parses; the gate refuses to send a command it cannot show faithfully (move the secret into an environment variable)")
	}
	if a, b := shape(file), shape(again); a != b {
		return "", fmt.Errorf("cannot redact the command without changing its syntax: %s; the gate refuses to send a command it cannot show faithfully (move the secret into an environment variable)", firstDifference(a, b))
	}
	return out, nil
}

func parse(src string) (*syntax.File, error) {
	return syntax.NewParser(syntax.KeepComments(true), syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
}

// safeParseError keeps the position and the parser's message, with anything
// secret-looking in it masked (parser messages can quote source text).
func safeParseError(err error, secrets []string) string {
	var pe syntax.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d, column %d: %s", pe.Pos.Line(), pe.Pos.Col(), String(pe.Text, secrets...))
	}
	return String(err.Error(), secrets...)
}

// A piece is part of a unit's text. Literal pieces map back to src at start;
// the text of other pieces (expansions, context) only informs detection.
type piece struct {
	text   string
	start  int
	lit    bool
	escape bool // backslash escapes apply inside (unquoted, "…", $'…')
}

// A unit is one word, comment or here-document body: secrets are looked for
// in its text and never across units.
type unit struct{ pieces []piece }

// A span is a range of src to mask; only literal bytes in it are replaced.
type span struct {
	start, end int
	escape     bool
}

func wordUnit(src string, w *syntax.Word) unit {
	var u unit
	for _, p := range w.Parts {
		u.pieces = append(u.pieces, partPieces(src, p)...)
	}
	return u
}

func partPieces(src string, p syntax.WordPart) []piece {
	switch p := p.(type) {
	case *syntax.Lit:
		s, e := litRange(src, p)
		return []piece{{text: src[s:e], start: s, lit: true, escape: true}}
	case *syntax.SglQuoted:
		s, e := int(p.Left.Offset())+1, int(p.Right.Offset())
		if p.Dollar {
			s++
		}
		if s > e {
			return []piece{{text: " "}}
		}
		return []piece{{text: src[s:e], start: s, lit: true, escape: p.Dollar}}
	case *syntax.DblQuoted:
		var out []piece
		for _, q := range p.Parts {
			if l, ok := q.(*syntax.Lit); ok {
				s, e := litRange(src, l)
				out = append(out, piece{text: src[s:e], start: s, lit: true, escape: true})
				continue
			}
			out = append(out, piece{text: " "})
		}
		return out
	default:
		// An expansion: not literal, and a word boundary for detection.
		return []piece{{text: " "}}
	}
}

// acrossWords masks a known secret value that spans several words (a
// value with a space, inlined unquoted: -p${{ secrets.PW }}): its literal
// bytes in each word; the blanks and operators between stay.
func acrossWords(src string, units []unit, secrets []string) []span {
	var lit []span
	for _, u := range units {
		for _, p := range u.pieces {
			if p.lit {
				lit = append(lit, span{start: p.start, end: p.start + len(p.text), escape: p.escape})
			}
		}
	}
	var out []span
	for _, v := range secrets {
		if len(v) < 4 || !strings.ContainsAny(v, " \t\n;&|<>()") {
			continue // found within a word already
		}
		for i := 0; ; {
			j := strings.Index(src[i:], v)
			if j < 0 {
				break
			}
			s, e := i+j, i+j+len(v)
			for _, l := range lit {
				if a, b := max(s, l.start), min(e, l.end); a < b {
					out = append(out, span{start: a, end: b, escape: l.escape})
				}
			}
			i = e
		}
	}
	return out
}

// litRange is the source range of l. A here-document body's last literal
// ends, by its position, after the terminator; its value does not.
func litRange(src string, l *syntax.Lit) (int, int) {
	s, e := int(l.Pos().Offset()), int(l.End().Offset())
	if n := s + len(l.Value); n <= len(src) && n < e && src[s:n] == l.Value {
		e = n
	}
	return s, e
}

// text is u's text as detectors see it, with backslash escapes resolved,
// and for each byte its offset in src (-1: not literal, never masked).
// Offsets of bytes where backslash escapes apply are stored as -2-offset.
func (u unit) text() (string, []int) {
	var b strings.Builder
	var idx []int
	for _, p := range u.pieces {
		if !p.lit {
			b.WriteString(p.text)
			for range len(p.text) {
				idx = append(idx, -1)
			}
			continue
		}
		for i := 0; i < len(p.text); i++ {
			if p.escape && p.text[i] == '\\' && i+1 < len(p.text) {
				i++
				if p.text[i] == '\n' {
					continue // line continuation
				}
			}
			b.WriteByte(p.text[i])
			if p.escape {
				idx = append(idx, -2-(p.start+i))
			} else {
				idx = append(idx, p.start+i)
			}
		}
	}
	return b.String(), idx
}

// spansOf turns a range of u's text into the src spans of its literal bytes.
func spansOf(idx []int, from, to int) []span {
	var out []span
	for i := from; i < to && i < len(idx); i++ {
		at, esc := idx[i], false
		if at == -1 {
			continue
		}
		if at < -1 {
			at, esc = -2-at, true
		}
		if n := len(out); n > 0 && out[n-1].end == at && out[n-1].escape == esc {
			out[n-1].end++
			continue
		}
		out = append(out, span{start: at, end: at + 1, escape: esc})
	}
	return out
}

// find returns the src spans of secrets in u's text.
func (u unit) find(secrets []string) []span {
	t, idx := u.text()
	var spans []span
	for _, r := range detect(t, secrets) {
		spans = append(spans, spansOf(idx, r[0], r[1])...)
	}
	return spans
}

// applySpans replaces every maximal masked run with Mask, line by line (a
// here-document keeps its lines, so its terminator stays on its own), and
// never splits a backslash escape.
func applySpans(src string, spans []span) string {
	if len(spans) == 0 {
		return src
	}
	masked := make([]bool, len(src))
	for _, s := range spans {
		start, end := s.start, s.end
		if s.escape {
			start, end = widenEscapes(src, start, end)
		}
		for i := start; i < end; i++ {
			if src[i] != '\n' {
				masked[i] = true
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(src); {
		if !masked[i] {
			b.WriteByte(src[i])
			i++
			continue
		}
		j := i
		for j < len(src) && masked[j] {
			j++
		}
		b.WriteString(Mask)
		i = j
	}
	return b.String()
}

// widenEscapes grows [start,end) so it does not cut a backslash escape in
// two: `\` plus the byte after it are masked together or not at all.
func widenEscapes(src string, start, end int) (int, int) {
	// Find the escape pairs in the run's surroundings: scan back to the
	// first byte after a run of backslashes.
	bs := 0
	for k := start - 1; k >= 0 && src[k] == '\\'; k-- {
		bs++
	}
	if bs%2 == 1 {
		start-- // the byte at start is escaped by the one before it
	}
	bs = 0
	for k := end - 1; k >= start && src[k] == '\\'; k-- {
		bs++
	}
	if bs%2 == 1 && end < len(src) {
		end++ // the last masked byte escapes the next one
	}
	return start, end
}

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

func argSpans(src string, args []*syntax.Word) []span {
	var spans []span
	cmd := ""
	for i, w := range args {
		lt, whole := litText(src, w)
		if name := path.Base(lt); whole && (sshpassLike[name] != "" || mysqlLike[name] || curlLike[name] || name == "docker" || name == "smbclient" || name == "openssl") {
			cmd = name
		}
		var next *syntax.Word
		if i+1 < len(args) {
			next = args[i+1]
		}
		nextIsValue := next != nil
		if nextIsValue {
			nt, _ := litText(src, next)
			nextIsValue = !strings.HasPrefix(nt, "-")
		}
		flag, _, hasValue := strings.Cut(lt, "=")
		switch {
		case !whole:
			// An argument built from expansions names nothing we can judge;
			// its literal parts are still searched by the detectors.
		case strings.HasPrefix(lt, "-") && secretFlag.MatchString(flag) && !strings.HasPrefix(flag, "--no-"):
			if hasValue {
				spans = append(spans, wordSpans(src, w, len(flag)+1)...)
			} else if nextIsValue {
				spans = append(spans, wordSpans(src, next, 0)...)
			}
		case cmd != "" && sshpassLike[cmd] != "" && strings.HasPrefix(lt, sshpassLike[cmd]):
			if lt == sshpassLike[cmd] && nextIsValue {
				spans = append(spans, wordSpans(src, next, 0)...)
			} else if len(lt) > 2 {
				spans = append(spans, wordSpans(src, w, 2)...)
			}
		case mysqlLike[cmd] && strings.HasPrefix(lt, "-p") && len(lt) > 2 && !strings.HasPrefix(lt, "--"):
			spans = append(spans, wordSpans(src, w, 2)...)
		case curlLike[cmd] && (lt == "-u" || lt == "--user" || lt == "-U" || lt == "--proxy-user" || lt == "-a" || lt == "--auth"):
			if next != nil {
				spans = append(spans, afterColon(src, next, 0)...)
			}
		case curlLike[cmd] && (strings.HasPrefix(lt, "-u") || strings.HasPrefix(lt, "-U")) && len(lt) > 2 && !strings.HasPrefix(lt, "--"):
			spans = append(spans, afterColon(src, w, 2)...)
		case curlLike[cmd] && hasValue && (flag == "--user" || flag == "--proxy-user" || flag == "--auth"):
			spans = append(spans, afterColon(src, w, len(flag)+1)...)
		case cmd == "docker" && lt == "-p" && nextIsValue && i >= 1 && hasArg(src, args[:i], "login"):
			spans = append(spans, wordSpans(src, next, 0)...)
		case cmd == "smbclient" && (lt == "-U" || lt == "--user") && next != nil:
			if nt, _ := litText(src, next); strings.Contains(nt, "%") {
				spans = append(spans, wordSpans(src, next, strings.Index(nt, "%")+1)...)
			}
		case cmd == "openssl" && strings.HasPrefix(lt, "pass:"):
			spans = append(spans, wordSpans(src, w, len("pass:"))...)
		case !strings.HasPrefix(lt, "-") && keyName.MatchString(lt) && nextIsValue:
			spans = append(spans, wordSpans(src, next, 0)...)
		}
	}
	return spans
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

// shape is the syntax tree's structure as text: node kinds, operators and
// names, in walk order with nesting, leaving out the contents of literals.
func shape(f *syntax.File) string {
	// Bash does not brace-expand here-document bodies or assigned values.
	noBraces := map[*syntax.Word]bool{}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Redirect:
			noBraces[n.Hdoc] = true
		case *syntax.Assign:
			noBraces[n.Value] = true
		}
		return true
	})
	var b strings.Builder
	syntax.Walk(f, func(n syntax.Node) bool {
		if n == nil {
			b.WriteString(")\n")
			return true
		}
		fmt.Fprintf(&b, "%T", n)
		switch n := n.(type) {
		case *syntax.Stmt:
			fmt.Fprintf(&b, " neg=%v bg=%v co=%v", n.Negated, n.Background, n.Coprocess)
		case *syntax.BinaryCmd:
			fmt.Fprintf(&b, " %s", n.Op)
		case *syntax.Redirect:
			fmt.Fprintf(&b, " %s", n.Op)
		case *syntax.CallExpr:
			fmt.Fprintf(&b, " assigns=%d args=%d", len(n.Assigns), len(n.Args))
		case *syntax.Word:
			// Brace expansion is not parsed by default, but bash expands
			// it: a mask must not turn {a,b} into one word, or one word
			// into several.
			fmt.Fprintf(&b, " parts=%d", len(n.Parts))
			if !noBraces[n] {
				b.WriteString(" braces=" + braces(n))
			}
		case *syntax.DblQuoted:
			fmt.Fprintf(&b, " parts=%d dollar=%v", len(n.Parts), n.Dollar)
		case *syntax.SglQuoted:
			fmt.Fprintf(&b, " dollar=%v", n.Dollar)
		case *syntax.ParamExp:
			fmt.Fprintf(&b, " short=%v excl=%v len=%v", n.Short, n.Excl, n.Length)
			if n.Param != nil {
				fmt.Fprintf(&b, " param=%s", n.Param.Value)
			}
			if n.Exp != nil {
				fmt.Fprintf(&b, " exp=%s", n.Exp.Op)
			}
		case *syntax.Assign:
			fmt.Fprintf(&b, " append=%v naked=%v", n.Append, n.Naked)
			if n.Name != nil {
				fmt.Fprintf(&b, " name=%s", n.Name.Value)
			}
		case *syntax.CmdSubst:
			fmt.Fprintf(&b, " stmts=%d backquotes=%v", len(n.Stmts), n.Backquotes)
		case *syntax.ProcSubst:
			fmt.Fprintf(&b, " %s", n.Op)
		case *syntax.ExtGlob:
			fmt.Fprintf(&b, " %s", n.Op)
		case *syntax.BinaryArithm:
			fmt.Fprintf(&b, " %s", n.Op)
		case *syntax.UnaryArithm:
			fmt.Fprintf(&b, " %s", n.Op)
		case *syntax.BinaryTest:
			fmt.Fprintf(&b, " %s", n.Op)
		case *syntax.UnaryTest:
			fmt.Fprintf(&b, " %s", n.Op)
		case *syntax.CaseItem:
			fmt.Fprintf(&b, " %s patterns=%d", n.Op, len(n.Patterns))
		case *syntax.DeclClause:
			if n.Variant != nil {
				fmt.Fprintf(&b, " %s", n.Variant.Value)
			}
		case *syntax.FuncDecl:
			if n.Name != nil {
				fmt.Fprintf(&b, " %s", n.Name.Value)
			}
		case *syntax.Comment:
			// its text is literal
		}
		b.WriteString(" (\n")
		return true
	})
	return b.String()
}

// braces describes the brace expansions bash would find in w.
func braces(w *syntax.Word) string {
	cp := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
	if !syntax.SplitBraces(cp) {
		return "-"
	}
	var sig func(w *syntax.Word) string
	sig = func(w *syntax.Word) string {
		var b strings.Builder
		for _, p := range w.Parts {
			if be, ok := p.(*syntax.BraceExp); ok {
				fmt.Fprintf(&b, "{seq=%v", be.Sequence)
				for _, e := range be.Elems {
					b.WriteString("," + sig(e))
				}
				b.WriteString("}")
			}
		}
		return b.String()
	}
	return sig(cp)
}

// firstDifference names the first node where two shapes differ, without
// quoting any literal (shapes hold none).
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("masking would turn %q into %q", strings.TrimSuffix(la[i], " ("), strings.TrimSuffix(lb[i], " ("))
		}
	}
	return "masking would change the number of syntax nodes"
}

// detect returns the ranges of secrets in t: the given values, known token
// formats and the keyed patterns. Ranges are sorted by start.
func detect(t string, secrets []string) [][2]int {
	var out [][2]int
	for _, v := range secrets {
		if len(v) < 4 {
			continue
		}
		for i := 0; ; {
			j := strings.Index(t[i:], v)
			if j < 0 {
				break
			}
			out = append(out, [2]int{i + j, i + j + len(v)})
			i += j + len(v)
		}
	}
	out = append(out, findPatterns(t)...)
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Shown is cmd as the App shows it: Command's structure-preserving
// redaction, or — for text that does not parse as a shell script (a
// script for another shell, a legacy record) — String applied line by
// line, so a mask never hides a line after the one it starts in.
func Shown(cmd string) string {
	if out, err := Command(cmd, nil); err == nil {
		return out
	}
	lines := strings.SplitAfter(cmd, "\n")
	for i, l := range lines {
		lines[i] = String(l)
	}
	return strings.Join(lines, "")
}
