package shellcmd

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

// Command is one command found in the tree.
type Command struct {
	// Argv is the command's canonical argv; Argv[0] is the name, dynamic
	// when the name (or the whole code) is decided at run time.
	Argv []Word
	// Inner is, for a wrapper, the index in Argv where the wrapped command
	// starts (sudo -u x CMD …: 3); 0 for a command that wraps nothing.
	Inner int
	// Wrapper: this entry is a wrapper (sudo, env, bash -c, xargs …) whose
	// wrapped commands follow as their own entries, with Parent pointing here.
	Wrapper bool
	// Parent is the index of the wrapper or command (find -exec) this one
	// was found through, or -1.
	Parent int
	// Via says how the command was reached: "sudo", "bash -c", "$(…)" …
	Via []string
	// Assigns are the variables set for this command only (X=1 cmd, env X=1).
	Assigns []string
	// Writes are the files the command's output is redirected to.
	Writes []Word
}

// Name returns the canonical command name.
func (c *Command) Name() Word {
	if len(c.Argv) == 0 {
		return Word{}
	}
	return c.Argv[0]
}

// String renders the argv for messages; dynamic words show as written.
func (c *Command) String() string {
	var b strings.Builder
	for i, w := range c.Argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		t := w.Text
		if !w.Dynamic && (t == "" || strings.ContainsAny(t, " \t\n'\"\\$`;&|<>()*?[]{}#~")) {
			t = "'" + strings.ReplaceAll(t, "'", `'\''`) + "'"
		}
		b.WriteString(t)
	}
	return b.String()
}

// Tree is every command a shell command runs, as far as can be seen.
type Tree struct {
	Commands []Command
	// Assigns lists every variable the command assigns anywhere (X=1,
	// export X=1, env X=1 cmd, read X, for X in …).
	Assigns []string
	// Err is set when part of the command could not be parsed or the walk
	// hit a limit; the tree then holds what could be read.
	Err error
}

// Dynamic reports whether some command's name or code is decided at run time.
func (t *Tree) Dynamic() bool {
	for i := range t.Commands {
		if t.Commands[i].Name().Dynamic {
			return true
		}
	}
	return false
}

// Limits keep hostile input from costing more than a few milliseconds.
const (
	maxDepth    = 8    // strings parsed inside strings
	maxCommands = 1024 // commands per tree
	maxParses   = 64   // strings parsed per tree
)

// ErrLimit is wrapped by Tree.Err when the command nests too deeply or runs
// too many commands to walk completely.
var ErrLimit = errors.New("command too large or nested too deeply to analyse completely")

var parsers = sync.Pool{New: func() any { return syntax.NewParser(syntax.Variant(syntax.LangBash)) }}

// Parse walks src. It never fails: what cannot be parsed sets Tree.Err and
// is read leniently (split on blanks and operators), because the shell may
// still run the lines before a syntax error.
func Parse(src string) (t *Tree) {
	w := &walker{t: &Tree{}}
	defer w.recover(&t)
	if words, ok := fastWords(src); ok {
		w.parses++
		w.argv(words, env{parent: -1}, callInfo{})
		return w.t
	}
	w.script(src, env{parent: -1})
	return w.t
}

// ParseArgv walks a command given as argv (a pattern, a shell template),
// peeling wrappers as Parse does.
func ParseArgv(argv []Word) (t *Tree) {
	w := &walker{t: &Tree{}}
	defer w.recover(&t)
	w.argv(slices.Clone(argv), env{parent: -1}, callInfo{})
	return w.t
}

// ParsePattern parses a policy pattern: like Parse, but unquoted glob
// characters stay in Word.Text as glob syntax instead of making the word
// dynamic, and quoted ones are escaped with a backslash.
func ParsePattern(src string) (t *Tree) {
	w := &walker{t: &Tree{}, pattern: true}
	defer w.recover(&t)
	w.script(src, env{parent: -1})
	return w.t
}

// recover turns a bug in the walk into an unknown command: deny rules
// still match it and allow rules cannot; the gate never crashes.
func (w *walker) recover(t **Tree) {
	if r := recover(); r != nil {
		*t = &Tree{
			Commands: []Command{{Argv: []Word{dynWord("…")}, Parent: -1}},
			Err:      fmt.Errorf("internal error reading the command: %v", r),
		}
	}
}

type walker struct {
	t       *Tree
	parses  int
	pattern bool
	// written holds files this command writes with echo/printf/cat <<EOF
	// before running them (echo 'x' > a.sh; bash a.sh): their text is code.
	written map[string]string
	// aliases defined earlier in the command (alias k=kubectl): a command
	// named k runs that text (deny rules see it even without expand_aliases).
	aliases map[string]string
}

type stdinKind uint8

const (
	stdinNone    stdinKind = iota
	stdinText              // a here-document, here-string or echo'd text: code if a shell reads it
	stdinDynamic           // another program's output or a file: unknown code if a shell reads it
)

type env struct {
	depth  int
	via    []string
	parent int
	stdin  stdinKind
	text   string
}

func (e env) with(via string) env {
	e.via = append(slices.Clip(e.via), via)
	return e
}

// script parses src as shell and walks it.
func (w *walker) script(src string, e env) {
	if e.depth > maxDepth || w.parses >= maxParses {
		w.limit(e)
		return
	}
	w.parses++
	p := parsers.Get().(*syntax.Parser)
	f, err := p.Parse(strings.NewReader(src), "")
	parsers.Put(p)
	if err != nil {
		if w.t.Err == nil {
			w.t.Err = fmt.Errorf("not valid shell syntax: %w", err)
		}
		w.lenient(src, e)
		return
	}
	w.stmts(f.Stmts, e)
}

// lenient reads text that does not parse: each run between operators is a
// command of blank-separated static words.
func (w *walker) lenient(src string, e env) {
	for _, part := range strings.FieldsFunc(src, func(r rune) bool { return strings.ContainsRune(";&|\n()`", r) }) {
		var argv []Word
		for _, f := range strings.Fields(part) {
			f = strings.Trim(f, `'"`)
			if f != "" {
				argv = append(argv, Lit(f))
			}
		}
		if len(argv) > 0 {
			w.argv(argv, e, callInfo{})
		}
	}
}

// limit records that the walk stopped early. An unknown command stands for
// what was not seen, so a deny rule still matches and an allow rule cannot.
func (w *walker) limit(e env) {
	if errors.Is(w.t.Err, ErrLimit) {
		return // said once
	}
	w.t.Err = ErrLimit
	if len(w.t.Commands) <= maxCommands+1 {
		w.emit(Command{Argv: []Word{dynWord("…")}, Parent: e.parent, Via: e.via})
	}
}

func (w *walker) emit(c Command) int {
	if len(w.t.Commands) > maxCommands {
		if !errors.Is(w.t.Err, ErrLimit) {
			w.t.Err = ErrLimit
			w.t.Commands = append(w.t.Commands, Command{Argv: []Word{dynWord("…")}, Parent: -1})
		}
		return -1
	}
	w.t.Commands = append(w.t.Commands, c)
	return len(w.t.Commands) - 1
}

func (w *walker) stmts(ss []*syntax.Stmt, e env) {
	for _, s := range ss {
		w.stmt(s, e)
	}
}

type callInfo struct {
	assigns []string
	writes  []Word
}

func (w *walker) stmt(s *syntax.Stmt, e env) {
	if s == nil {
		return
	}
	var info callInfo
	for _, rd := range s.Redirs {
		w.redirect(rd, &e, &info)
	}
	w.recordWrites(s)
	w.command(s.Cmd, e, info)
}

// recordWrites remembers the text a statement writes to a file.
func (w *walker) recordWrites(s *syntax.Stmt) {
	ce, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 || len(s.Redirs) == 0 || w.pattern {
		return
	}
	text, ok := "", false
	name := CanonName(ce.Args[0].Lit())
	switch name {
	case "echo", "printf":
		var args []string
		for _, a := range ce.Args[1:] {
			x := convOne(a, false)
			if x.Dynamic {
				return
			}
			args = append(args, x.Text)
		}
		text, ok = Printed(name, args), true
		if name == "echo" {
			text += "\n"
		}
	case "cat", "tee":
		for _, rd := range s.Redirs {
			if rd.Hdoc != nil {
				t := convOne(rd.Hdoc, false)
				if rd.Word != nil && quotedDelim(rd.Word) {
					t = Lit(rawText(rd.Hdoc))
				}
				text, ok = t.Text, true
			}
		}
	}
	if !ok {
		return
	}
	for _, rd := range s.Redirs {
		if rd.Op != syntax.RdrOut && rd.Op != syntax.AppOut && rd.Op != syntax.RdrClob || rd.Word == nil {
			continue
		}
		t := convOne(rd.Word, false)
		if t.Dynamic {
			continue
		}
		if w.written == nil {
			w.written = map[string]string{}
		}
		if len(w.written) >= 16 {
			return
		}
		p := CanonPath(t.Text)
		if rd.Op == syntax.AppOut {
			w.written[p] += text
		} else {
			w.written[p] = text
		}
	}
}

// alias records `alias NAME=TEXT` and expands a command named after an
// alias defined earlier; it reports whether argv was an expanded alias.
func (w *walker) alias(argv []Word, e env) bool {
	name := argv[0].Text
	if name == "alias" {
		for _, a := range argv[1:] {
			n, v, ok := strings.Cut(a.Text, "=")
			if !ok || n == "" || len(w.aliases) >= 32 {
				continue
			}
			if w.aliases == nil {
				w.aliases = map[string]string{}
			}
			if a.Dynamic {
				v = "${ALIAS_VALUE}"
			}
			w.aliases[n] = v
		}
		return false
	}
	v, ok := w.aliases[name]
	if !ok || e.depth > maxDepth {
		return false
	}
	delete(w.aliases, name) // an alias does not expand inside itself
	code := joinCode(append([]Word{Lit(v)}, quoteAll(argv[1:])...))
	e.depth++
	w.code([]Word{code}, e.with("alias "+name).noStdin(), "alias")
	w.aliases[name] = v
	return true
}

// sqlStdin: psql and mysql run the SQL on their standard input as if it
// were given with -c / -e; the tree gets that command too, so a pattern
// on -c sees `echo 'DROP …' | psql`.
func (w *walker) sqlStdin(argv []Word, e env, parent int) {
	flag := ""
	switch argv[0].Text {
	case "psql":
		flag = "-c"
	case "mysql", "mariadb":
		flag = "-e"
	default:
		return
	}
	if e.stdin == stdinNone {
		return
	}
	for _, a := range argv[1:] {
		if a.Text == flag || a.Text == "-f" || a.Text == "--file" || strings.HasPrefix(a.Text, "--command") || strings.HasPrefix(a.Text, "--execute") {
			return
		}
	}
	v := Word{Text: "<stdin>", Dynamic: true, Split: true}
	if e.stdin == stdinText {
		v = Lit(e.text)
	}
	sql := append(append([]Word{argv[0]}, argv[1:]...), Lit(flag), v)
	w.emit(Command{Argv: sql, Parent: parent, Via: append(slices.Clip(e.via), "stdin")})
}

// runWritten walks the text of a file written earlier in this command,
// when path is run as a script.
func (w *walker) runWritten(path string, e env) {
	text, ok := w.written[CanonPath(path)]
	if !ok {
		return
	}
	e.depth++
	w.script(text, e.with("script "+path).noStdin())
}

func (w *walker) redirect(rd *syntax.Redirect, e *env, info *callInfo) {
	if rd.Word != nil {
		w.substs(rd.Word, *e)
	}
	switch rd.Op {
	case syntax.Hdoc, syntax.DashHdoc:
		e.stdin, e.text = stdinText, ""
		if rd.Hdoc != nil {
			w.substs(rd.Hdoc, *e)
			t := w.word(rd.Hdoc)
			if rd.Word != nil && quotedDelim(rd.Word) {
				t = Lit(rawText(rd.Hdoc))
			}
			e.text = t.Text
			if t.Dynamic {
				e.stdin = stdinDynamic
			}
		}
	case syntax.WordHdoc:
		t := w.word(rd.Word)
		e.stdin, e.text = stdinText, t.Text
		if t.Dynamic {
			e.stdin = stdinDynamic
		}
	case syntax.RdrIn:
		e.stdin, e.text = stdinDynamic, ""
	case syntax.RdrOut, syntax.AppOut, syntax.RdrAll, syntax.AppAll, syntax.RdrClob, syntax.RdrInOut:
		t := w.word(rd.Word)
		if !harmlessTarget(t) {
			info.writes = append(info.writes, t)
		}
	case syntax.DplOut, syntax.DplIn:
		t := w.word(rd.Word)
		if t.Dynamic || (t.Text != "-" && !allDigits(t.Text)) {
			if rd.Op == syntax.DplOut {
				info.writes = append(info.writes, t)
			}
		}
	}
}

func quotedDelim(w *syntax.Word) bool {
	for _, p := range w.Parts {
		switch p.(type) {
		case *syntax.SglQuoted, *syntax.DblQuoted:
			return true
		}
	}
	return strings.ContainsRune(w.Lit(), '\\')
}

// rawText is a quoted-delimiter here-document's text, which the shell
// does not expand.
func rawText(w *syntax.Word) string {
	var b strings.Builder
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok {
			b.WriteString(l.Value)
		}
	}
	return b.String()
}

func harmlessTarget(t Word) bool {
	if t.Dynamic {
		return false
	}
	switch t.Text {
	case "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty":
		return true
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// word converts one syntax word (no brace expansion: used where the shell
// does not split, such as redirection targets).
func (w *walker) word(sw *syntax.Word) Word {
	if sw == nil {
		return Word{}
	}
	return convOne(sw, w.pattern)
}

// substs walks the command substitutions anywhere inside n.
func (w *walker) substs(n syntax.Node, e env) {
	switch x := n.(type) {
	case nil:
		return
	case *syntax.Word:
		if x == nil {
			return
		}
	case *syntax.ArrayExpr:
		if x == nil {
			return
		}
	}
	syntax.Walk(n, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.CmdSubst:
			w.stmts(x.Stmts, e.with("$(…)").noStdin())
			return false
		case *syntax.ProcSubst:
			w.stmts(x.Stmts, e.with("<(…)").noStdin())
			return false
		}
		return true
	})
}

func (e env) noStdin() env {
	e.stdin, e.text = stdinNone, ""
	return e
}

func (w *walker) command(cmd syntax.Command, e env, info callInfo) {
	switch x := cmd.(type) {
	case *syntax.CallExpr:
		w.call(x, e, info)
	case *syntax.BinaryCmd:
		if x.Op == syntax.Pipe || x.Op == syntax.PipeAll {
			w.pipe(x, e)
			return
		}
		w.stmt(x.X, e)
		w.stmt(x.Y, e)
	case *syntax.Subshell:
		w.stmts(x.Stmts, e)
	case *syntax.Block:
		w.stmts(x.Stmts, e)
	case *syntax.IfClause:
		for ; x != nil; x = x.Else {
			w.stmts(x.Cond, e)
			w.stmts(x.Then, e)
		}
	case *syntax.WhileClause:
		w.stmts(x.Cond, e)
		w.stmts(x.Do, e)
	case *syntax.ForClause:
		if wi, ok := x.Loop.(*syntax.WordIter); ok && wi.Name != nil {
			w.t.Assigns = append(w.t.Assigns, wi.Name.Value)
		}
		w.substs(x.Loop, e)
		w.stmts(x.Do, e)
	case *syntax.CaseClause:
		w.substs(x.Word, e)
		for _, it := range x.Items {
			for _, p := range it.Patterns {
				w.substs(p, e)
			}
			w.stmts(it.Stmts, e)
		}
	case *syntax.FuncDecl:
		w.stmt(x.Body, e)
	case *syntax.TimeClause:
		w.stmt(x.Stmt, e)
	case *syntax.CoprocClause:
		w.stmt(x.Stmt, e)
	case *syntax.DeclClause:
		w.decl(x, e, info)
	case *syntax.LetClause, *syntax.ArithmCmd, *syntax.TestClause:
		w.substs(x, e)
	case nil:
	default:
		w.substs(x, e)
	}
}

// decl handles export/declare/local/readonly/typeset/nameref.
func (w *walker) decl(d *syntax.DeclClause, e env, info callInfo) {
	for _, as := range d.Args {
		if as.Name != nil {
			w.t.Assigns = append(w.t.Assigns, as.Name.Value)
		} else if as.Value != nil {
			if v := w.word(as.Value); v.Dynamic {
				// export "$X" may assign any variable.
				w.t.Assigns = append(w.t.Assigns, "$")
			} else if n, _, ok := strings.Cut(v.Text, "="); ok {
				w.t.Assigns = append(w.t.Assigns, n)
			}
		}
		w.substs(as.Value, e)
		w.substs(as.Array, e)
		w.substs(as.Index, e)
	}
	if len(info.writes) > 0 {
		w.emit(Command{Argv: []Word{Lit(d.Variant.Value)}, Parent: e.parent, Via: e.via, Writes: info.writes})
	}
}

func (w *walker) call(ce *syntax.CallExpr, e env, info callInfo) {
	for _, as := range ce.Assigns {
		if as.Name != nil {
			info.assigns = append(info.assigns, as.Name.Value)
			w.t.Assigns = append(w.t.Assigns, as.Name.Value)
		}
		w.substs(as.Value, e)
		w.substs(as.Array, e)
		w.substs(as.Index, e)
	}
	argv := make([]Word, 0, len(ce.Args))
	for _, a := range ce.Args {
		argv = append(argv, convWord(a, w.pattern)...)
	}
	for _, a := range ce.Args {
		w.substs(a, e)
	}
	if len(argv) == 0 {
		if len(info.writes) > 0 {
			w.emit(Command{Argv: []Word{Lit(":")}, Parent: e.parent, Via: e.via, Writes: info.writes})
		}
		return
	}
	w.argv(argv, e, info)
}

// pipe walks a pipeline; each stage after the first reads the previous
// stage's output, which is code when the stage is a shell.
func (w *walker) pipe(b *syntax.BinaryCmd, e env) {
	var stages []*syntax.Stmt
	for {
		stages = append(stages, b.Y)
		x, ok := b.X.Cmd.(*syntax.BinaryCmd)
		if !ok || (x.Op != syntax.Pipe && x.Op != syntax.PipeAll) || len(b.X.Redirs) > 0 || b.X.Negated {
			stages = append(stages, b.X)
			break
		}
		b = x
	}
	slices.Reverse(stages)
	in := e
	for _, st := range stages {
		w.stmt(st, in)
		in = e
		if t, ok := w.echoed(st); ok {
			in.stdin, in.text = stdinText, t
		} else {
			in.stdin, in.text = stdinDynamic, ""
		}
	}
}

// echoed returns the text that `echo 'x'`, `printf 'x'` or `cat <<EOF`
// writes, so `echo 'rm -rf /' | sh` can be read.
func (w *walker) echoed(s *syntax.Stmt) (string, bool) {
	ce, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 || len(s.Redirs) > 1 {
		return "", false
	}
	var words []Word
	for _, a := range ce.Args {
		words = append(words, convWord(a, false)...)
	}
	if words[0].Dynamic {
		return "", false
	}
	switch name := CanonName(words[0].Text); name {
	case "echo", "printf":
		var args []string
		for _, x := range words[1:] {
			if x.Dynamic {
				return "", false
			}
			args = append(args, x.Text)
		}
		return Printed(name, args), true
	case "cat":
		if len(words) == 1 && len(s.Redirs) == 1 && s.Redirs[0].Hdoc != nil {
			t := w.word(s.Redirs[0].Hdoc)
			return t.Text, !t.Dynamic
		}
	}
	return "", false
}

// maxPeel bounds how many wrappers one command may stack.
const maxPeel = 32

// argv peels wrappers off one command, emitting an entry for each wrapper
// and one for the command underneath.
func (w *walker) argv(argv []Word, e env, info callInfo) {
	if e.depth > maxDepth || len(w.t.Commands) > maxCommands {
		w.limit(e)
		return
	}
	for range maxPeel {
		if len(argv) == 0 {
			return
		}
		if argv[0].Dynamic {
			w.emit(Command{Argv: argv, Parent: e.parent, Via: e.via, Assigns: info.assigns, Writes: info.writes})
			return
		}
		argv[0] = Lit(CanonName(argv[0].Text))
		p := peel(argv, e.stdin)
		if !p.wrapper {
			if w.alias(argv, e) {
				return
			}
			idx := w.emit(Command{Argv: argv, Parent: e.parent, Via: e.via, Assigns: info.assigns, Writes: info.writes})
			w.sqlStdin(argv, e, idx)
			if w.written != nil {
				if strings.Contains(argv[0].Text, "/") {
					w.runWritten(argv[0].Text, e)
				} else if argv[0].Text == "source" && len(argv) > 1 && !argv[1].Dynamic {
					w.runWritten(argv[1].Text, e)
				}
			}
			ce := e.with(argv[0].Text).noStdin()
			ce.parent = idx
			ce.depth++
			for _, child := range p.children {
				w.argv(child, ce, callInfo{})
			}
			w.code(p.code, ce, argv[0].Text)
			return
		}
		info.assigns = append(info.assigns, p.assigns...)
		w.t.Assigns = append(w.t.Assigns, p.assigns...)
		idx := w.emit(Command{Argv: argv, Inner: p.inner, Wrapper: true, Parent: e.parent, Via: e.via, Assigns: info.assigns, Writes: info.writes})
		via := argv[0].Text
		if len(p.code) > 0 && p.inner > 0 && isShell(via) {
			via += " -c"
		}
		stdin, text := e.stdin, e.text
		e = e.with(via)
		e.parent = idx
		if len(p.code) > 0 || p.stdin {
			ce := e.noStdin()
			w.code(p.code, ce, via)
			if p.stdin {
				w.stdinCode(stdin, text, ce)
			}
			if p.rewrite == nil && (len(p.code) > 0 || p.inner == 0) {
				return
			}
		}
		switch {
		case p.rewrite != nil:
			argv = p.rewrite
		case p.inner > 0 && p.inner < len(argv):
			argv = argv[p.inner:]
			if p.script && !argv[0].Dynamic {
				argv[0] = Lit(CanonPath(argv[0].Text))
				w.emit(Command{Argv: argv, Parent: e.parent, Via: e.via, Assigns: info.assigns, Writes: info.writes})
				w.runWritten(argv[0].Text, e)
				return
			}
		default:
			return
		}
	}
	w.limit(e)
}

// code walks strings run as shell code; a string decided at run time is
// an unknown command.
func (w *walker) code(codes []Word, e env, via string) {
	for _, c := range codes {
		if c.Dynamic && c.EnvSetup {
			continue // eval "$(ssh-agent -s)": the tool's own setup code
		}
		if c.Dynamic {
			w.emit(Command{Argv: []Word{{Text: c.Text, Prefix: c.Prefix, Dynamic: true, Split: true}}, Parent: e.parent, Via: e.via})
			continue
		}
		e.depth++
		w.script(c.Text, e)
		e.depth--
	}
}

// stdinCode walks what a shell reads on its standard input.
func (w *walker) stdinCode(kind stdinKind, text string, e env) {
	switch kind {
	case stdinText:
		e.depth++
		w.script(text, e)
	case stdinDynamic:
		w.emit(Command{Argv: []Word{dynWord("<stdin>")}, Parent: e.parent, Via: e.via})
	}
}
