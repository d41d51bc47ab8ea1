package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

// A command pattern is matched on the syntax tree, word by word:
//
//   - the first word is a glob on the canonical command name;
//   - an option word (-rf, --force, -n prod) requires that option, in any
//     order and however it is spelt (-rf = -fr = -r -f = --recursive --force);
//   - an operand word is a glob on one word ('*' inside a word never
//     crosses into the next word);
//   - a word that is just '*' stands for any number of words, options
//     included, except options that change what a tool runs or talks to
//     (kubectl --kubeconfig, git -c, helm --post-renderer …) and words
//     decided at run time; '**' stands for any words at all;
//   - a last word ending in a letter and '*' (terraform plan*) means that
//     word followed by anything (terraform plan *), as it did in the
//     text-glob matcher; deny and require rules also take it as a glob on
//     the word (destroy* matches destroy-all).
type cmdPattern struct {
	src   string
	line  int      // where it stands in the policy file, for check warnings
	field string   // rules[i].if.command[j]
	full  patCmd   // as written: deny and require match it against every command
	leaf  patCmd   // under the pattern's wrappers: allow matches leaves against it
	wraps []patCmd // the pattern's own non-transparent wrappers (allow)
	// allowOnly / denyOnly restrict a pattern to some modes (the two
	// readings of "plan*").
	noAllow bool
	noDeny  bool
}

type wordKind uint8

const (
	wGlob  wordKind = iota
	wStar           // '*': any words but sensitive options and run-time words
	wDStar          // '**': any words
)

type patWord struct {
	kind wordKind
	g    *glob // case-sensitive
	gl   *glob // lower-cased: deny matching ignores case
	src  string
}

type patOpt struct {
	short, long string
	longG       *glob    // a long name with glob characters (--force*)
	value       *patWord // nil: any value or none
	src         string
}

type patCmd struct {
	name        patWord
	opts        []patOpt
	pos         []patWord
	star, dstar bool
	any         bool // the whole pattern is '*' or '**'
}

var errPatternList = errors.New("a pattern is one command; list several patterns instead of joining them with ; && || or |")

// compileCommandPattern compiles one `command:` pattern. It may return two
// patterns: the two readings of a trailing "word*".
func compileCommandPattern(src string) ([]*cmdPattern, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errEmptyPattern
	}
	if s := strings.TrimSpace(src); s == "*" || s == "**" {
		p := &cmdPattern{src: src, full: patCmd{any: true}, leaf: patCmd{any: true}}
		return []*cmdPattern{p}, nil
	}
	t := shellcmd.ParsePattern(src)
	if t.Err != nil {
		return nil, fmt.Errorf("not a command: %v", t.Err)
	}
	if len(t.Commands) == 0 {
		return nil, errEmptyPattern
	}
	roots := 0
	for _, c := range t.Commands {
		if c.Parent < 0 {
			roots++
		}
	}
	if roots != 1 {
		return nil, errPatternList
	}
	p, err := buildPattern(src, t)
	if err != nil {
		return nil, err
	}
	out := []*cmdPattern{p}
	// "terraform plan*": the last word of the outermost command.
	if last := t.Commands[0].Argv[len(t.Commands[0].Argv)-1]; trailingStar(last.Text) {
		argv := append([]shellcmd.Word(nil), t.Commands[0].Argv...)
		argv[len(argv)-1] = shellcmd.Lit(strings.TrimSuffix(last.Text, "*"))
		argv = append(argv, shellcmd.Lit("*"))
		t2 := shellcmd.ParseArgv(argv)
		if p2, err := buildPattern(src, t2); err == nil {
			p.noAllow = true
			out = append(out, p2)
		}
	}
	return out, nil
}

// trailingStar: "plan*", "ls*", "destroy*" — letters, then one '*'.
func trailingStar(w string) bool {
	if len(w) < 2 || w[len(w)-1] != '*' {
		return false
	}
	body := w[:len(w)-1]
	c := body[len(body)-1]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	return !strings.ContainsAny(body, "*?[\\")
}

func buildPattern(src string, t *shellcmd.Tree) (*cmdPattern, error) {
	p := &cmdPattern{src: src}
	var err error
	if p.full, err = buildCmd(&t.Commands[0], true); err != nil {
		return nil, err
	}
	leafIdx := -1
	for i := range t.Commands {
		c := &t.Commands[i]
		if c.Wrapper {
			if !c.Transparent() {
				own := *c
				own.Argv = c.Argv[:max(c.Inner, 1)]
				own.Inner = 0
				if c.Inner == 0 {
					own.Argv = c.Argv
				}
				w, err := buildCmd(&own, false)
				if err != nil {
					return nil, err
				}
				p.wraps = append(p.wraps, w)
			}
			continue
		}
		if leafIdx >= 0 {
			return nil, errPatternList
		}
		leafIdx = i
	}
	if leafIdx < 0 {
		return nil, errors.New("the pattern names a wrapper but no command under it")
	}
	if p.leaf, err = buildCmd(&t.Commands[leafIdx], false); err != nil {
		return nil, err
	}
	return p, nil
}

func buildCmd(c *shellcmd.Command, full bool) (patCmd, error) {
	var pc patCmd
	inner := 0
	if full {
		inner = c.Inner
	}
	parsed := shellcmd.ParseArgs(c.Argv, inner)
	var err error
	if pc.name, err = compileWord(parsed.Name.Text); err != nil {
		return pc, err
	}
	if pc.name.kind != wGlob && len(parsed.Opts) == 0 && len(parsed.Pos) == 0 {
		pc.any = true // "ssh host *": any command there
	}
	if pc.name.kind != wGlob {
		// '*' or '**' as the name: any name.
		g, _ := compileGlob("*")
		pc.name = patWord{kind: wGlob, g: g, gl: g, src: parsed.Name.Text}
	}
	for _, o := range parsed.Opts {
		po := patOpt{short: o.Short, long: o.Long, src: o.Key()}
		if strings.ContainsAny(o.Long, "*?[") && o.Short == "" {
			g, err := compileGlob(o.Long)
			if err != nil {
				return pc, fmt.Errorf("option %q: %v", o.Long, err)
			}
			po.longG = g
		}
		if o.Value != nil {
			v, err := compileWord(o.Value.Text)
			if err != nil {
				return pc, err
			}
			po.value = &v
		}
		pc.opts = append(pc.opts, po)
	}
	for _, w := range parsed.Pos {
		pw, err := compileWord(w.Text)
		if err != nil {
			return pc, err
		}
		pc.star = pc.star || pw.kind == wStar
		pc.dstar = pc.dstar || pw.kind == wDStar
		pc.pos = append(pc.pos, pw)
	}
	return pc, nil
}

func compileWord(s string) (patWord, error) {
	switch s {
	case "*":
		return patWord{kind: wStar, src: s}, nil
	case "**":
		return patWord{kind: wDStar, src: s}, nil
	}
	if s == "" {
		g := &glob{src: "", exact: true} // '' matches only the empty word
		return patWord{g: g, gl: g, src: "''"}, nil
	}
	g, err := compileGlob(s)
	if err != nil {
		return patWord{}, err
	}
	gl := g
	if l := foldSpace(strings.ToLower(s)); l != s {
		if gl, err = compileGlob(l); err != nil {
			return patWord{}, err
		}
	}
	return patWord{g: g, gl: gl, src: s}, nil
}

// literalPrefix is the name's literal first bytes, for the rule index.
func (p *cmdPattern) prefixes() []string {
	if p.full.any || p.leaf.any {
		return []string{""}
	}
	return []string{p.full.name.g.prefix, p.leaf.name.g.prefix}
}
