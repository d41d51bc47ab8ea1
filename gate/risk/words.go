package risk

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

// arg is one shell word as far as it can be known before running anything.
type arg struct {
	s      string // text with expansions kept as written: $DIR/x, $(…)
	static bool   // no expansion at all: s is exactly what the program sees
	param  string // name of the first parameter expansion, if any
	empty  bool   // some parameter expansion in it may expand to nothing
	lead   bool   // the word starts with an expansion
	subst  bool   // contains $(…), `…` or <(…)
	glob   bool   // contains an unquoted glob character
	fetch  bool   // a substitution inside downloads from the network
	decode bool   // a substitution inside decodes base64/hex
	inner  string // name of the first command run by a substitution inside
	innerS string // that command's literal words, for rules that need its flags
	stdin  bool   // stands for input read at run time (xargs, find {})
	bare   bool   // a parameter expansion in it is unquoted (split and globbed)
}

// alwaysSet are variables that the runner or the shell always define, so a
// path built from them cannot collapse to "/".
func alwaysSet(name string) bool {
	switch name {
	case "HOME", "PWD", "RUNNER_TEMP", "RUNNER_TOOL_CACHE", "GITHUB_WORKSPACE", "TMPDIR",
		"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "AGENT_TOOLSDIRECTORY", "GITHUB_ACTION_PATH",
		"USER", "RUNNER_WORKSPACE", "CI_PROJECT_DIR", "0", "RUNNER_OS", "RUNNER_ARCH", "GITHUB_SHA", "GITHUB_REF", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_ACTOR", "#", "?", "$", "!":
		return true
	}
	return false
}

// wordRenderer turns words into args and remembers the substitutions it met
// so that the caller can assess them with the right context.
type wordRenderer struct {
	b      strings.Builder
	substs []*syntax.Stmt
	cur    *arg
	quoted int
}

func (r *wordRenderer) render(w *syntax.Word) arg {
	if len(w.Parts) == 1 {
		if l, ok := w.Parts[0].(*syntax.Lit); ok && !strings.ContainsAny(l.Value, "\\*?[") {
			return arg{s: l.Value, static: true}
		}
		if q, ok := w.Parts[0].(*syntax.SglQuoted); ok {
			if q.Dollar {
				return arg{s: shellcmd.DecodeANSI(q.Value), static: true}
			}
			return arg{s: q.Value, static: true}
		}
	}
	out := arg{static: true}
	r.cur = &out
	r.b.Reset()
	r.parts(w.Parts)
	out.s = r.b.String()
	r.cur = nil
	return out
}

func (r *wordRenderer) parts(ps []syntax.WordPart) {
	for i, p := range ps {
		switch x := p.(type) {
		case *syntax.Lit:
			r.lit(x.Value)
		case *syntax.SglQuoted:
			if x.Dollar {
				r.b.WriteString(shellcmd.DecodeANSI(x.Value))
			} else {
				r.b.WriteString(x.Value)
			}
		case *syntax.DblQuoted:
			r.quoted++
			r.parts(x.Parts)
			r.quoted--
		case *syntax.ParamExp:
			r.param(x, i == 0 && r.b.Len() == 0)
		case *syntax.CmdSubst:
			r.subst(x.Stmts, i == 0 && r.b.Len() == 0, "$(…)")
		case *syntax.ProcSubst:
			r.subst(x.Stmts, i == 0 && r.b.Len() == 0, "<(…)")
		case *syntax.ArithmExp:
			r.cur.static = false
			r.b.WriteString("$((…))")
			r.collectNode(x.X)
		case *syntax.ExtGlob:
			r.cur.glob = true
			r.b.WriteString(x.Op.String() + x.Pattern.Value + ")")
		default:
			r.cur.static = false
		}
	}
}

func (r *wordRenderer) lit(v string) {
	if r.quoted == 0 && strings.ContainsAny(v, "*?[") {
		r.cur.glob = true
	}
	if !strings.Contains(v, "\\") {
		r.b.WriteString(v)
		return
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		r.b.WriteByte(v[i])
	}
}

func (r *wordRenderer) param(x *syntax.ParamExp, first bool) {
	c := r.cur
	c.static = false
	name := ""
	if x.Param != nil {
		name = x.Param.Value
	}
	if c.param == "" {
		c.param = name
	}
	if first {
		c.lead = true
	}
	mayBeEmpty := !alwaysSet(name) && !x.Length
	if x.Exp != nil {
		switch x.Exp.Op {
		case syntax.ErrorUnsetOrNull, syntax.ErrorUnset:
			mayBeEmpty = false
		case syntax.DefaultUnsetOrNull, syntax.DefaultUnset, syntax.AssignUnset, syntax.AssignUnsetOrNull:
			mayBeEmpty = x.Exp.Word == nil || len(x.Exp.Word.Parts) == 0
		}
		if x.Exp.Word != nil {
			r.collect(x.Exp.Word.Parts)
		}
	}
	if mayBeEmpty {
		c.empty = true
	}
	if r.quoted == 0 {
		c.bare = true
	}
	if name == "HOME" {
		r.b.WriteString("~")
		return
	}
	// ${X:-/} may well be its default: rules see the default's text, so
	// rm -rf ${DIR:-/} reads as rm -rf / (still not static).
	if x.Exp != nil && x.Exp.Word != nil && len(x.Exp.Word.Parts) > 0 {
		switch x.Exp.Op {
		case syntax.DefaultUnsetOrNull, syntax.DefaultUnset, syntax.AssignUnset, syntax.AssignUnsetOrNull:
			if l := litText(x.Exp.Word); l != "" {
				r.b.WriteString(l)
				return
			}
		}
	}
	r.b.WriteString("$")
	r.b.WriteString(name)
}

// litText is a word's text when it is made of literals and quotes only.
func litText(w *syntax.Word) string {
	var b strings.Builder
	for _, p := range w.Parts {
		switch x := p.(type) {
		case *syntax.Lit:
			b.WriteString(x.Value)
		case *syntax.SglQuoted:
			b.WriteString(x.Value)
		case *syntax.DblQuoted:
			for _, q := range x.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return ""
				}
				b.WriteString(l.Value)
			}
		default:
			return ""
		}
	}
	return b.String()
}

// collectNode finds the substitutions anywhere inside n, such as
// $(( $(cmd) + 1 )).
func (r *wordRenderer) collectNode(n syntax.Node) {
	if n == nil {
		return
	}
	syntax.Walk(n, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.CmdSubst:
			r.substs = append(r.substs, x.Stmts...)
			return false
		case *syntax.ProcSubst:
			r.substs = append(r.substs, x.Stmts...)
			return false
		}
		return true
	})
}

// collect finds substitutions inside parts that are not rendered, such as
// the default word of ${X:-$(cmd)}.
func (r *wordRenderer) collect(ps []syntax.WordPart) {
	for _, p := range ps {
		switch x := p.(type) {
		case *syntax.CmdSubst:
			r.substs = append(r.substs, x.Stmts...)
		case *syntax.ProcSubst:
			r.substs = append(r.substs, x.Stmts...)
		case *syntax.DblQuoted:
			r.collect(x.Parts)
		}
	}
}

func (r *wordRenderer) subst(stmts []*syntax.Stmt, first bool, text string) {
	c := r.cur
	c.static, c.subst = false, true
	if first {
		c.lead = true
	}
	r.substs = append(r.substs, stmts...)
	for _, s := range stmts {
		if fetches(s) {
			c.fetch = true
		}
		if decodes(s) {
			c.decode = true
		}
		if c.inner == "" {
			c.inner = firstName(s)
			if ce, ok := s.Cmd.(*syntax.CallExpr); ok {
				c.innerS = literalWords(ce.Args, 200)
			} else if b, ok := s.Cmd.(*syntax.BinaryCmd); ok {
				if ce, ok := b.X.Cmd.(*syntax.CallExpr); ok {
					c.innerS = literalWords(ce.Args, 200)
				}
			}
		}
	}
	r.b.WriteString(text)
}

// literalWords joins the literal parts of words, up to n bytes.
func literalWords(ws []*syntax.Word, n int) string {
	var b strings.Builder
	for _, w := range ws {
		if b.Len() > n {
			break
		}
		for _, p := range w.Parts {
			switch x := p.(type) {
			case *syntax.Lit:
				b.WriteString(x.Value)
			case *syntax.SglQuoted:
				b.WriteString(x.Value)
			case *syntax.DblQuoted:
				for _, q := range x.Parts {
					if l, ok := q.(*syntax.Lit); ok {
						b.WriteString(l.Value)
					}
				}
			}
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// firstName is the name of the first simple command a statement runs, after
// wrappers such as sudo are peeled off.
func firstName(s *syntax.Stmt) string {
	name := ""
	visitCalls(s, func(ce *syntax.CallExpr) bool {
		name = effectiveName(ce.Args)
		return false
	})
	return name
}

// visitBudget bounds how many nodes one visitCalls looks at. Substitutions
// nested thousands deep would otherwise make every level walk everything
// below it, which is quadratic; real commands stay far below the bound.
const visitBudget = 256

// visitCalls calls fn for the simple commands of s, including those in
// substitutions, until fn returns false.
func visitCalls(s *syntax.Stmt, fn func(*syntax.CallExpr) bool) {
	more := true
	budget := visitBudget
	syntax.Walk(s, func(n syntax.Node) bool {
		budget--
		if !more || budget < 0 {
			return false
		}
		if ce, ok := n.(*syntax.CallExpr); ok && len(ce.Args) > 0 {
			more = fn(ce)
		}
		return more
	})
}

// effectiveName returns the command name behind wrappers like sudo or env,
// peeled with gate/shellcmd's wrapper table.
func effectiveName(ws []*syntax.Word) string {
	argv := make([]shellcmd.Word, 0, len(ws))
	for _, w := range ws {
		if l := w.Lit(); l != "" || len(w.Parts) == 0 {
			argv = append(argv, shellcmd.Lit(l))
		} else {
			argv = append(argv, shellcmd.Word{Text: "$", Dynamic: true, Split: true})
		}
	}
	return baseName(shellcmd.LeafName(argv))
}

func fetches(s *syntax.Stmt) bool {
	found := false
	visitCalls(s, func(ce *syntax.CallExpr) bool {
		found = isFetcher(effectiveName(ce.Args))
		return !found
	})
	return found
}

func decodes(s *syntax.Stmt) bool {
	found := false
	visitCalls(s, func(ce *syntax.CallExpr) bool {
		n := effectiveName(ce.Args)
		switch n {
		case "base64", "base32", "xxd", "openssl", "uudecode", "gunzip", "zcat", "rev":
			for _, w := range ce.Args[1:] {
				l := w.Lit()
				if l == "-d" || l == "--decode" || l == "-D" || l == "-r" || l == "enc" || n == "gunzip" || n == "zcat" || n == "rev" || n == "uudecode" {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

func isFetcher(name string) bool {
	switch name {
	case "curl", "wget", "fetch", "http", "https", "xh", "aria2c", "lwp-request", "GET",
		"Invoke-WebRequest", "iwr", "Invoke-RestMethod", "irm", "wget2", "curlie":
		return true
	}
	return false
}

// baseName strips directories, a leading backslash and ".exe" from a
// command name: "/usr/bin/rm", "\rm" and "rm.exe" are all "rm".
func baseName(s string) string {
	s = strings.TrimLeft(s, "\\")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSuffix(s, ".exe")
}

// Flag helpers. They are deliberately tolerant: an option value that looks
// like a flag can only make a rule fire, never hide one.

// hasShort reports whether a cluster of short options such as -rf holds ch.
func hasShort(args []arg, ch byte) bool {
	for _, a := range args {
		if a.s == "--" {
			return false
		}
		if len(a.s) > 1 && a.s[0] == '-' && a.s[1] != '-' && strings.IndexByte(a.s, ch) > 0 {
			return true
		}
	}
	return false
}

// hasFlag reports whether any of names ("--force", "-f") appears, also in
// --name=value form.
func hasFlag(args []arg, names ...string) bool {
	return flagValue(args, names...) != "" || flagIndex(args, names...) >= 0
}

func flagIndex(args []arg, names ...string) int {
	for i, a := range args {
		for _, n := range names {
			if a.s == n {
				return i
			}
		}
		if a.s == "--" {
			return -1
		}
	}
	return -1
}

// flagValue returns the value of --name=value or "--name value".
func flagValue(args []arg, names ...string) string {
	for i, a := range args {
		if a.s == "--" {
			return ""
		}
		for _, n := range names {
			if a.s == n && i+1 < len(args) {
				return args[i+1].s
			}
			if len(a.s) > len(n) && strings.HasPrefix(a.s, n) && a.s[len(n)] == '=' {
				return a.s[len(n)+1:]
			}
		}
	}
	return ""
}

// positionals returns the arguments that are not options. valued lists the
// options that take a separate value, which is skipped too.
func positionals(args []arg, valued ...string) []arg {
	out := make([]arg, 0, len(args))
	for i := 0; i < len(args); i++ {
		s := args[i].s
		if s == "--" {
			return append(out, args[i+1:]...)
		}
		if len(s) > 1 && s[0] == '-' {
			for _, v := range valued {
				if s == v {
					i++
					break
				}
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}

func joinArgs(args []arg) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.s)
	}
	return b.String()
}

func anyArg(args []arg, fn func(arg) bool) bool {
	for _, a := range args {
		if fn(a) {
			return true
		}
	}
	return false
}

func quote(s string) string { return "`" + shorten(s, 60) + "`" }
