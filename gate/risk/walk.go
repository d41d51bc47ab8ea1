package risk

import (
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

// stdinKind says where a command's standard input comes from.
type stdinKind uint8

const (
	stdinTerminal stdinKind = iota
	stdinPipe               // another local command
	stdinNet                // a pipeline that downloads from the network
	stdinDecoded            // a pipeline that decodes base64/hex
	stdinText               // a here-document or here-string (text in ctx.hdoc)
	stdinFile               // a file (path in ctx.hdoc)
)

// ctx is what a command's surroundings tell about it.
type ctx struct {
	depth    int
	stdin    stdinKind
	from     string // the upstream command of a pipe
	hdoc     string // here-document text, or the input file for stdinFile
	sink     string // a network command that receives this command's output
	piped    bool   // output goes into a pipe
	redirOut bool   // output goes to a file
	sudo     bool   // runs as another user (usually root)
	remote   string // "on host x: " when run through ssh/kubectl exec
	quiet    bool   // output goes into a consumer that prints nothing of it (grep -q, wc)
}

func (a *assessor) stmts(ss []*syntax.Stmt, c ctx) {
	for _, s := range ss {
		a.stmt(s, c)
	}
}

func (a *assessor) stmt(s *syntax.Stmt, c ctx) {
	if s == nil {
		return
	}
	var r wordRenderer
	for _, rd := range s.Redirs {
		a.redirect(&r, rd, &c)
	}
	if c.redirOut {
		a.rcImplant(s)
	}
	if ce, ok := s.Cmd.(*syntax.CallExpr); ok && c.redirOut && isFetcher(effectiveName(ce.Args)) {
		for _, rd := range s.Redirs {
			if (rd.Op == syntax.RdrOut || rd.Op == syntax.AppOut) && rd.Word != nil && (rd.N == nil || rd.N.Value == "1") {
				a.remember(rd.Word.Lit())
			}
		}
	}
	a.command(s.Cmd, c)
	a.substitutions(r.substs, c)
	if s.Background && c.depth == 0 {
		if ce, ok := s.Cmd.(*syntax.CallExpr); ok && len(ce.Args) > 0 && ce.Args[0].Lit() == "nohup" {
			a.add(CatSystemProcess, LevelLow, "starts a background process with `nohup` that outlives the step")
		}
	}
}

func (a *assessor) command(cmd syntax.Command, c ctx) {
	switch x := cmd.(type) {
	case *syntax.CallExpr:
		a.call(x, c)
	case *syntax.BinaryCmd:
		if x.Op == syntax.Pipe || x.Op == syntax.PipeAll {
			a.pipe(x, c)
			return
		}
		a.stmt(x.X, c)
		a.stmt(x.Y, c)
	case *syntax.Subshell:
		a.stmts(x.Stmts, c)
	case *syntax.Block:
		a.stmts(x.Stmts, c)
	case *syntax.IfClause:
		for ; x != nil; x = x.Else {
			a.stmts(x.Cond, c)
			a.stmts(x.Then, c)
		}
	case *syntax.WhileClause:
		a.stmts(x.Cond, c)
		a.stmts(x.Do, c)
	case *syntax.ForClause:
		a.nodeSubsts(x.Loop, c)
		a.stmts(x.Do, c)
	case *syntax.CaseClause:
		a.nodeSubsts(x.Word, c)
		for _, it := range x.Items {
			for _, p := range it.Patterns { // substitutions run as patterns are tried
				a.nodeSubsts(p, c)
			}
			a.stmts(it.Stmts, c)
		}
	case *syntax.FuncDecl:
		a.funcDecl(x, c)
	case *syntax.TimeClause:
		a.stmt(x.Stmt, c)
	case *syntax.CoprocClause:
		a.stmt(x.Stmt, c)
	case *syntax.DeclClause:
		a.decl(x, c)
	case nil:
	default:
		a.nodeSubsts(x, c)
	}
}

// nodeSubsts assesses the command substitutions found anywhere in n.
func (a *assessor) nodeSubsts(n syntax.Node, c ctx) {
	if n == nil {
		return
	}
	syntax.Walk(n, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.CmdSubst:
			a.stmts(x.Stmts, c)
			return false
		case *syntax.ProcSubst:
			a.stmts(x.Stmts, c)
			return false
		}
		return true
	})
}

func (a *assessor) substitutions(ss []*syntax.Stmt, c ctx) {
	c.piped, c.redirOut, c.stdin, c.hdoc = true, false, stdinTerminal, ""
	a.stmts(ss, c)
}

// printedSubsts re-checks substitutions whose output is printed to the log
// (echo "$(cat key)"); only credential reads change by it.
func (a *assessor) printedSubsts(ss []*syntax.Stmt, c ctx) {
	for _, s := range ss {
		ce, ok := s.Cmd.(*syntax.CallExpr)
		if !ok || len(ce.Args) == 0 {
			continue
		}
		var r wordRenderer
		args := make([]arg, 0, len(ce.Args))
		for _, w := range ce.Args {
			args = append(args, r.render(w))
		}
		a.secretArgs(baseName(args[0].s), args[1:], c)
	}
}

// pipe assesses a pipeline. Each stage reads what the stages before it
// print and prints into the next one. The pipeline is flattened first
// (bash nests "a | b | c" to the left), so long pipelines cost linear time.
func (a *assessor) pipe(b *syntax.BinaryCmd, c ctx) {
	var stageBuf [8]*syntax.Stmt
	var sinkBuf [8]string
	stages := flattenPipe(b, stageBuf[:0])
	sinks := sinkBuf[:0]
	if len(stages) > len(sinkBuf) {
		sinks = make([]string, 0, len(stages))
	}
	sinks = sinks[:len(stages)]
	sink := c.sink
	for i := len(stages) - 1; i >= 0; i-- {
		sinks[i] = sink
		if s := sinkOf(stages[i]); s != "" {
			sink = s
		}
	}
	in := c
	for i, st := range stages {
		cs := in
		cs.sink = sinks[i]
		if i < len(stages)-1 {
			cs.piped = true
			cs.quiet = quietConsumer(stages[i+1])
		} else {
			cs.piped, cs.quiet = c.piped, c.quiet
		}
		a.stmt(st, cs)
		// What the next stage reads.
		next := c
		next.from, next.hdoc = firstName(st), ""
		switch {
		case in.stdin == stdinNet || fetches(st):
			next.stdin = stdinNet
		case in.stdin == stdinDecoded || decodes(st):
			next.stdin = stdinDecoded
		default:
			next.stdin = stdinPipe
			if t, ok := echoedText(st); ok {
				next.stdin, next.hdoc = stdinText, t
			}
		}
		in = next
	}
}

// flattenPipe lists the stages of a pipeline from left to right.
func flattenPipe(b *syntax.BinaryCmd, out []*syntax.Stmt) []*syntax.Stmt {
	for {
		out = append(out, b.Y)
		x, ok := b.X.Cmd.(*syntax.BinaryCmd)
		if !ok || (x.Op != syntax.Pipe && x.Op != syntax.PipeAll) || len(b.X.Redirs) > 0 || b.X.Negated {
			out = append(out, b.X)
			break
		}
		b = x
	}
	slices.Reverse(out)
	return out
}

// echoedText returns the text that "echo 'x'", "printf 'x'" or
// "cat <<EOF" writes, so "echo 'DROP TABLE x' | psql" can be read.
func echoedText(s *syntax.Stmt) (string, bool) {
	ce, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 {
		return "", false
	}
	var r wordRenderer
	switch baseName(ce.Args[0].Lit()) {
	case "echo", "printf":
		var words []string
		for _, w := range ce.Args[1:] {
			words = append(words, r.render(w).s)
		}
		return shellcmd.Printed(baseName(ce.Args[0].Lit()), words), true
	case "cat":
		for _, rd := range s.Redirs {
			if rd.Hdoc != nil {
				return r.render(rd.Hdoc).s, true
			}
			if rd.Op == syntax.WordHdoc {
				return r.render(rd.Word).s, true
			}
		}
	}
	return "", false
}

// rcImplant reports echo/printf text appended to shell startup files that
// hijacks commands or runs code on every login.
func (a *assessor) rcImplant(s *syntax.Stmt) {
	text, ok := echoedText(s)
	if !ok {
		return
	}
	for _, rd := range s.Redirs {
		if rd.Word == nil || rd.Op != syntax.AppOut && rd.Op != syntax.RdrOut {
			continue
		}
		t := rd.Word.Lit()
		b := baseName(t)
		if b != ".bashrc" && b != ".profile" && b != ".bash_profile" && b != ".zshrc" && b != ".zprofile" && b != "bash.bashrc" && !strings.HasPrefix(t, "/etc/profile") {
			continue
		}
		l := strings.ToLower(text)
		for _, bad := range []string{"alias sudo", "alias su", "alias ssh", "ld_preload", "curl ", "wget ", "/dev/tcp", "nc ", "base64 -d", "sudo -s"} {
			if strings.Contains(l, bad) {
				a.add(CatPrivilege, LevelHigh, "plants "+quote(text)+" in the shell startup file "+quote(t)+", which runs at every login")
				return
			}
		}
	}
}

// quietConsumer reports whether s reads its input without printing it.
func quietConsumer(s *syntax.Stmt) bool {
	ce, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 {
		return false
	}
	switch baseName(ce.Args[0].Lit()) {
	case "wc", "md5sum", "sha256sum", "sha1sum", "true", "cksum":
		return true
	case "grep", "egrep", "rg":
		for _, w := range ce.Args[1:] {
			l := w.Lit()
			if len(l) > 1 && l[0] == '-' && l[1] != '-' && strings.ContainsAny(l, "qc") || l == "--quiet" || l == "--count" {
				return true
			}
		}
	}
	return false
}

// sinkOf names the network command at the receiving end of a pipe, if any.
func sinkOf(s *syntax.Stmt) string {
	n := firstName(s)
	switch n {
	case "nc", "ncat", "netcat", "socat", "telnet", "curl", "wget", "ssh", "openssl", "scp", "ftp", "sftp", "s_client", "http", "xh":
		return n
	}
	return ""
}

// redirect inspects one redirection and updates the statement's context.
func (a *assessor) redirect(r *wordRenderer, rd *syntax.Redirect, c *ctx) {
	switch rd.Op {
	case syntax.Hdoc, syntax.DashHdoc:
		if rd.Hdoc != nil {
			c.stdin, c.hdoc = stdinText, r.render(rd.Hdoc).s
		} else {
			c.stdin, c.hdoc = stdinText, ""
		}
		return
	case syntax.WordHdoc:
		t := r.render(rd.Word)
		c.stdin, c.hdoc = stdinText, t.s
		switch {
		case t.fetch:
			c.stdin, c.from = stdinNet, t.inner
		case t.decode:
			c.stdin, c.from = stdinDecoded, t.inner
		}
		return
	}
	if rd.Word == nil {
		return
	}
	t := r.render(rd.Word)
	switch rd.Op {
	case syntax.RdrIn:
		c.stdin, c.hdoc = stdinFile, t.s
		if strings.HasPrefix(t.s, "/dev/tcp/") || strings.HasPrefix(t.s, "/dev/udp/") {
			c.stdin = stdinNet
		}
		return
	case syntax.DplIn:
		return
	case syntax.DplOut:
		if t.s == "-" || allDigits(t.s) {
			return
		}
	}
	switch rd.Op {
	case syntax.RdrOut, syntax.AppOut, syntax.RdrAll, syntax.AppAll, syntax.RdrClob, syntax.RdrInOut, syntax.DplOut:
		if rd.N == nil || rd.N.Value == "1" {
			c.redirOut = true
		}
		a.writeTarget(t, rd.Op == syntax.AppOut || rd.Op == syntax.AppAll, "redirects output", *c)
		if strings.HasPrefix(t.s, "/dev/tcp/") || strings.HasPrefix(t.s, "/dev/udp/") {
			c.sink = "/dev/tcp"
		}
	}
}

// funcDecl assesses a function body and recognises fork bombs: a function
// that calls itself in a pipe or in the background.
func (a *assessor) funcDecl(f *syntax.FuncDecl, c ctx) {
	if f.Name != nil && f.Body != nil {
		name := f.Name.Value
		bomb := false
		syntax.Walk(f.Body, func(n syntax.Node) bool {
			switch x := n.(type) {
			case *syntax.BinaryCmd:
				if (x.Op == syntax.Pipe || x.Op == syntax.PipeAll) && firstName(x.X) == name {
					bomb = true
				}
			case *syntax.Stmt:
				if x.Background && firstName(x) == name {
					bomb = true
				}
			}
			return !bomb
		})
		if bomb {
			a.add(CatSystemProcess, LevelCritical, "defines `"+name+"` to call itself in a pipe or in the background: a fork bomb that exhausts the machine's processes")
			return
		}
	}
	a.stmt(f.Body, c)
}

// decl handles export/declare/local/readonly.
func (a *assessor) decl(d *syntax.DeclClause, c ctx) {
	named := 0
	for _, as := range d.Args {
		if as.Name != nil {
			named++
		} else if as.Value != nil && !strings.HasPrefix(as.Value.Lit(), "-") {
			named++
		}
		if as.Value != nil {
			a.nodeSubsts(as.Value, c)
		}
		if as.Name != nil && as.Value != nil {
			a.assignment(as.Name.Value, as.Value, c)
		}
	}
	if named == 0 && (d.Variant.Value == "export" || d.Variant.Value == "declare" || d.Variant.Value == "typeset") {
		a.envDump(d.Variant.Value+strings.Repeat(" -p", min(len(d.Args), 1)), c)
	}
}

// assignment catches variables that change how every later program runs.
func (a *assessor) assignment(name string, v *syntax.Word, c ctx) {
	switch name {
	case "LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES":
		a.add(CatPrivilege, LevelHigh, "sets `"+name+"`, which injects a library into every program started afterwards")
	case "HISTFILE":
		if v == nil || v.Lit() == "" || v.Lit() == "/dev/null" {
			a.add(CatSystemProcess, LevelMedium, "disables shell history (`HISTFILE`), which hides what was run")
		}
	}
}
