// Peeling one command: an entry for each wrapper, then the command
// underneath, and the strings of code they run.

package shellcmd

import (
	"strings"
)

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
			w.emit(leaf(argv, e, info))
			return
		}
		argv[0] = Lit(CanonName(argv[0].Text))
		p := peel(argv, e.stdin)
		if !p.wrapper {
			w.simple(argv, p, e, info)
			return
		}
		if argv = w.wrapped(argv, p, &e, &info); argv == nil {
			return
		}
	}
	w.limit(e)
}

// leaf is the entry of a command that wraps nothing more.
func leaf(argv []Word, e env, info callInfo) Command {
	return Command{Argv: argv, Parent: e.parent, Via: e.via, Assigns: info.assigns, Writes: info.writes}
}

// simple emits a command that is not a wrapper, with what it runs of its
// own: an alias's text, SQL on its stdin, a script written earlier, find
// -exec children and interpreter code.
func (w *walker) simple(argv []Word, p peeled, e env, info callInfo) {
	if w.alias(argv, e) {
		return
	}
	idx := w.emit(leaf(argv, e, info))
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
}

// wrapped emits a wrapper's entry and walks the code it runs; it returns
// the argv of the wrapped command to peel next, with e and info set for
// it, or nil when nothing more runs.
func (w *walker) wrapped(argv []Word, p peeled, e *env, info *callInfo) []Word {
	info.assigns = append(info.assigns, p.assigns...)
	w.t.Assigns = append(w.t.Assigns, p.assigns...)
	idx := w.emit(Command{Argv: argv, Inner: p.inner, Wrapper: true, Parent: e.parent, Via: e.via, Assigns: info.assigns, Writes: info.writes})
	via := argv[0].Text
	if len(p.code) > 0 && p.inner > 0 && isShell(via) {
		via += " -c"
	}
	stdin, text := e.stdin, e.text
	*e = e.with(via)
	e.parent = idx
	if len(p.code) > 0 || p.stdin {
		ce := e.noStdin()
		w.code(p.code, ce, via)
		if p.stdin {
			w.stdinCode(stdin, text, ce)
		}
		if p.rewrite == nil && (len(p.code) > 0 || p.inner == 0) {
			return nil
		}
	}
	switch {
	case p.rewrite != nil:
		return p.rewrite
	case p.inner > 0 && p.inner < len(argv):
		argv = argv[p.inner:]
		if p.script && !argv[0].Dynamic {
			argv[0] = Lit(CanonPath(argv[0].Text))
			w.emit(leaf(argv, *e, *info))
			w.runWritten(argv[0].Text, *e)
			return nil
		}
		return argv
	}
	return nil
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
