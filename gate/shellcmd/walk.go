// The walk over the syntax tree: statements, compound commands, pipelines
// and substitutions, within the limits that keep hostile input cheap.

package shellcmd

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

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
