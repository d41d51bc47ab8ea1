package action

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/stepgate/stepgate/gate"
)

// Limits on what one binding collects: more is refused rather than bound in
// part, so nothing the command reads or runs escapes the approval.
const (
	maxBoundVars  = 128
	maxBoundFiles = 32
	maxBoundFile  = 16 << 20 // bytes of one executed file
	maxScriptNest = 4        // scripts run by scripts, parsed for what they read and run
)

// binder collects a command's binding (DESIGN.md invariant 4): the
// variables it reads and the repository files it executes, as they are on
// the runner now. It runs twice: when the request is made and again just
// before the command starts, and the gate refuses if the two differ.
type binder struct {
	workspace string // repository root on the runner (GITHUB_WORKSPACE)
	dir       string // the command's working directory
	repoID    string // salts secret hashes (GITHUB_REPOSITORY_ID)
	environ   map[string]string
	secret    func(name, value string) bool

	vars  map[string]bool
	files map[string]gate.File
	order []string // file paths in the order found
	err   error
}

// collectBinding returns the binding of command under sh, run in dir.
func collectBinding(command string, sh gate.Shell, wd, workspace, dir, repoID string, environ []string, secret func(name, value string) bool) (gate.Binding, error) {
	b := &binder{workspace: workspace, dir: dir, repoID: repoID, environ: envMap(environ), secret: secret,
		vars: map[string]bool{}, files: map[string]gate.File{}}
	if posixShell(sh) {
		b.script(command, langOf(sh), 0)
	}
	if b.err != nil {
		return gate.Binding{}, b.err
	}
	out := gate.Binding{Command: command, ShellTemplate: sh.Template, WorkingDirectory: wd}
	names := make([]string, 0, len(b.vars))
	for n := range b.vars {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) > maxBoundVars {
		return gate.Binding{}, fmt.Errorf("the command reads %d environment variables; stepgate binds at most %d", len(names), maxBoundVars)
	}
	for _, n := range names {
		out.Env = append(out.Env, b.envVar(n))
	}
	for _, p := range b.order {
		out.Files = append(out.Files, b.files[p])
	}
	return out, nil
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func (b *binder) envVar(name string) gate.EnvVar {
	v, ok := b.environ[name]
	switch {
	case !ok:
		return gate.EnvVar{Name: name, Unset: true}
	case b.secret != nil && b.secret(name, v):
		return gate.EnvVar{Name: name, Secret: true, Hash: gate.SecretHash(b.repoID, name, v)}
	}
	return gate.EnvVar{Name: name, Value: v}
}

// posixShell: the command is shell code whose variables and scripts can be
// read from its syntax tree. Python, PowerShell and custom templates are
// bound by their text only (their reads are not visible here).
func posixShell(sh gate.Shell) bool {
	return !sh.Custom && (sh.Name == "bash" || sh.Name == "sh")
}

func langOf(sh gate.Shell) syntax.LangVariant {
	if sh.Name == "sh" {
		return syntax.LangPOSIX
	}
	return syntax.LangBash
}

// script parses src and records what it reads and runs. Unparseable code
// binds nothing more (its text is still bound, and the App rates it high).
func (b *binder) script(src string, lang syntax.LangVariant, depth int) {
	if depth > maxScriptNest || b.err != nil {
		return
	}
	f, err := syntax.NewParser(syntax.Variant(lang)).Parse(strings.NewReader(src), "")
	if err != nil {
		return
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.ParamExp:
			if n.Param != nil && validName(n.Param.Value) {
				b.vars[n.Param.Value] = true
			}
		case *syntax.ArithmExp:
			b.arithmNames(n.X)
		case *syntax.ArithmCmd:
			b.arithmNames(n.X)
		case *syntax.CallExpr:
			b.call(n, lang, depth)
		}
		return true
	})
}

// arithmNames records bare names in arithmetic ($((X + 1)) reads X).
func (b *binder) arithmNames(x syntax.ArithmExpr) {
	syntax.Walk(x, func(n syntax.Node) bool {
		if w, ok := n.(*syntax.Word); ok {
			if lit := w.Lit(); validName(lit) {
				b.vars[lit] = true
			}
		}
		return true
	})
}

func validName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// peeled are commands that run the rest of their arguments.
var peeled = map[string]bool{"sudo": true, "env": true, "nice": true, "nohup": true, "exec": true,
	"command": true, "time": true, "timeout": true, "stdbuf": true, "ionice": true, "xargs": true}

// shells run a file named as their first operand, or -c code.
var shells = map[string]bool{"bash": true, "sh": true, "dash": true, "zsh": true, "ksh": true, "ash": true}

// interpreters run a file named as their first operand.
var interpreters = map[string]bool{"python": true, "python3": true, "python2": true, "node": true, "ruby": true,
	"perl": true, "php": true, "pwsh": true, "powershell": true, "deno": true, "bun": true, "tsx": true, "ts-node": true}

func (b *binder) call(ce *syntax.CallExpr, lang syntax.LangVariant, depth int) {
	args := make([]string, 0, len(ce.Args))
	for _, w := range ce.Args {
		lit, ok := literal(w)
		if !ok {
			lit = "" // decided at run time: not a file this binding can name
		}
		args = append(args, lit)
	}
	for len(args) > 0 {
		name := filepath.Base(args[0])
		switch {
		case args[0] == "":
			return
		case peeled[name]:
			args = skipWrapperArgs(args[1:])
			continue
		case name == "source" || args[0] == ".":
			if len(args) > 1 {
				b.file(args[1], true, lang, depth)
			}
		case shells[name]:
			b.shellArgs(args[1:], depth)
		case interpreters[name]:
			if op := firstOperand(args[1:]); op != "" {
				b.file(op, false, lang, depth)
			}
		case strings.Contains(args[0], "/"):
			b.file(args[0], true, lang, depth)
		}
		return
	}
}

// skipWrapperArgs drops a wrapper's options and VAR=value words.
func skipWrapperArgs(args []string) []string {
	for len(args) > 0 && (strings.HasPrefix(args[0], "-") || strings.Contains(args[0], "=") && !strings.Contains(args[0], "/")) {
		args = args[1:]
	}
	return args
}

func firstOperand(args []string) string {
	for _, a := range args {
		if a == "" {
			return ""
		}
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// shellArgs: `bash -c 'code'` is parsed again; `bash x.sh` binds x.sh.
func (b *binder) shellArgs(args []string, depth int) {
	for i, a := range args {
		switch {
		case a == "":
			return
		case a == "-c" || strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "c"):
			if i+1 < len(args) && args[i+1] != "" {
				b.script(args[i+1], syntax.LangBash, depth+1)
			}
			return
		case strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+"):
			continue
		default:
			b.file(a, true, syntax.LangBash, depth)
			return
		}
	}
}

// file binds a repository file the command executes: its path relative to
// the workspace and its git blob id. Files outside the workspace (system
// tools) and files that do not exist yet are not repository files.
func (b *binder) file(p string, shellCode bool, lang syntax.LangVariant, depth int) {
	if b.workspace == "" {
		return
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(b.dir, p)
	}
	rel, err := filepath.Rel(b.workspace, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return
	}
	rel = filepath.ToSlash(rel)
	if _, seen := b.files[rel]; seen {
		return
	}
	st, err := os.Stat(abs)
	if err != nil || !st.Mode().IsRegular() {
		return
	}
	if len(b.files) >= maxBoundFiles {
		b.err = fmt.Errorf("the command executes more than %d repository files; stepgate binds at most %d", maxBoundFiles, maxBoundFiles)
		return
	}
	content, err := readBounded(abs)
	if err != nil {
		b.err = fmt.Errorf("reading %s, which the command executes: %w", rel, err)
		return
	}
	b.files[rel] = gate.File{Path: rel, BlobSHA: gate.GitBlobSHA(content)}
	b.order = append(b.order, rel)
	if shellCode && isShellScript(rel, content) {
		b.script(string(content), lang, depth+1)
	}
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBoundFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBoundFile {
		return nil, fmt.Errorf("larger than %d MiB", maxBoundFile>>20)
	}
	return data, nil
}

// isShellScript: a .sh/.bash file or one whose #! line names a POSIX shell.
func isShellScript(path string, content []byte) bool {
	if ext := filepath.Ext(path); ext == ".sh" || ext == ".bash" {
		return true
	}
	line, _, _ := bytes.Cut(content, []byte("\n"))
	if !bytes.HasPrefix(line, []byte("#!")) {
		return false
	}
	for _, f := range strings.Fields(string(line[2:])) {
		if shells[filepath.Base(f)] {
			return true
		}
	}
	return false
}

// literal is a word's value when nothing in it is decided at run time.
func literal(w *syntax.Word) (string, bool) {
	var sb strings.Builder
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			sb.WriteString(unescape(p.Value))
		case *syntax.SglQuoted:
			sb.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return "", false
				}
				sb.WriteString(l.Value)
			}
		default:
			return "", false
		}
	}
	return sb.String(), true
}

// unescape removes the backslashes of an unquoted literal (\r\m is rm).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

// startupVars are read by the shell itself before the approved bytes run:
// BASH_ENV (bash sources it), ENV (sh and bash in POSIX mode source it),
// exported functions (BASH_FUNC_name%%: they replace commands of the
// script), SHELLOPTS/BASHOPTS (options such as xtrace), PS4 (expanded, with
// command substitution, under xtrace), IFS, CDPATH and GLOBIGNORE (change
// how the script's words and cd behave). The gate removes them from the
// command's environment (bash(1) INVOCATION and Shell Variables; sh(1p)).
var startupVars = map[string]bool{"BASH_ENV": true, "ENV": true, "SHELLOPTS": true, "BASHOPTS": true,
	"PS4": true, "IFS": true, "CDPATH": true, "GLOBIGNORE": true, "BASH_XTRACEFD": true, "PROMPT_COMMAND": true}

// commandEnviron is environ without the shell's start-up variables.
func commandEnviron(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if startupVars[name] || strings.HasPrefix(name, "BASH_FUNC_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// binding collects this gate's binding from the runner as it is now.
func (g *Gate) binding(secrets []string) (gate.Binding, error) {
	sh, err := gate.ResolveShell(g.cfg.Shell)
	if err != nil {
		return gate.Binding{}, err
	}
	workspace := g.opts.Getenv("GITHUB_WORKSPACE")
	dir, err := resolveDir(workspace, g.cfg.WorkingDirectory)
	if err != nil {
		// The step fails when it tries to run there; until then the
		// request binds what can be seen (no files in a missing directory).
		dir = filepath.Join(workspace, g.cfg.WorkingDirectory)
		if filepath.IsAbs(g.cfg.WorkingDirectory) {
			dir = g.cfg.WorkingDirectory
		}
	}
	if workspace == "" {
		workspace = dir
	}
	isSecret := make(map[string]bool, len(secrets))
	for _, s := range secrets {
		isSecret[s] = true
	}
	// A value the log masks is a secret; so is any value of a variable
	// whose name says it holds one, however short or plain: binding sends
	// only a hash of it either way, so erring here costs nothing.
	secret := func(name, value string) bool { return isSecret[value] || value != "" && mayHoldSecret(name) }
	return collectBinding(g.cfg.Command, sh, g.cfg.WorkingDirectory, workspace, dir,
		g.opts.Getenv("GITHUB_REPOSITORY_ID"), g.opts.Environ(), secret)
}

// bindingChange says what differs between the approved binding and now,
// naming variables and files, never a secret's value.
func bindingChange(was, now gate.Binding, err error) string {
	if err != nil {
		return err.Error()
	}
	var diffs []string
	old := map[string]string{}
	for _, v := range was.Env {
		old[v.Name] = v.Value + "\x00" + v.Hash + fmt.Sprint(v.Unset)
	}
	for _, v := range now.Env {
		if old[v.Name] != v.Value+"\x00"+v.Hash+fmt.Sprint(v.Unset) {
			diffs = append(diffs, "$"+v.Name)
		}
	}
	blobs := map[string]string{}
	for _, f := range was.Files {
		blobs[f.Path] = f.BlobSHA
	}
	for _, f := range now.Files {
		if blobs[f.Path] != f.BlobSHA {
			diffs = append(diffs, f.Path)
		}
	}
	if len(diffs) == 0 {
		return "the variables or files it reads"
	}
	return strings.Join(diffs, ", ")
}
