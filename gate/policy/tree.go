package policy

import (
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

// build parses the command (and the shell template) once.
func (in *input) build() {
	if in.built {
		return
	}
	in.built = true
	in.tree = commandTree(in.f.Command, in.f.Shell)
	in.views = make([]cmdView, len(in.tree.Commands))
	for i := range in.tree.Commands {
		c := &in.tree.Commands[i]
		v := cmdView{c: c, parsed: c.Parse()}
		if c.Wrapper {
			n := c.Inner
			if n == 0 {
				n = len(c.Argv)
			}
			v.own = shellcmd.ParseArgs(c.Argv[:n], 0)
		}
		in.views[i] = v
		name := c.Name()
		if name.Dynamic && name.Prefix == "" {
			in.anyFirst = true
			continue
		}
		for _, b := range []byte{firstByte(name.Prefix), firstByte(strings.ToLower(name.Prefix))} {
			in.firsts[b>>6] |= 1 << (b & 63)
		}
		if strings.Contains(name.Text, "/") {
			// ./bin/x and x rules catch /abs/bin/x and ./vendor/x (deny, require).
			in.firsts['.'>>6] |= 1 << ('.' & 63)
			base := name.Text[strings.LastIndexByte(name.Text, '/')+1:]
			for _, b := range []byte{firstByte(base), firstByte(strings.ToLower(base))} {
				in.firsts[b>>6] |= 1 << (b & 63)
			}
		}
	}
}

func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// commandMatches applies a rule's command patterns to the tree.
func (in *input) commandMatches(pats []*cmdPattern, m mode) bool {
	in.build()
	if m != modeAllow {
		i, p := matchAny(pats, in.views, m)
		if i < 0 {
			return false
		}
		in.hitCommand, in.hitPattern = in.views[i].c.String(), p.src
		in.hitDynamic = hasDynamic(in.views[i].c)
		return true
	}
	switch {
	case in.tree.Err != nil:
		in.why = "the command could not be read completely (" + in.tree.Err.Error() + ")"
		return false
	case in.leafCount() == 0:
		in.why = "the command runs nothing"
		return false
	}
	for _, a := range in.tree.Assigns {
		if shellcmd.SensitiveVar(a) {
			in.why = fmt.Sprintf("it sets %s, which changes what programs run", a)
			return false
		}
	}
	if i := matchAll(pats, in.views); i >= 0 {
		c := in.views[i].c
		switch {
		case c.Name().Dynamic:
			in.why = fmt.Sprintf("`%s` is decided at run time", c.String())
		case len(c.Writes) > 0:
			in.why = fmt.Sprintf("`%s` writes its output to a file", c.String())
		case c.Wrapper:
			in.why = fmt.Sprintf("`%s` runs a command through `%s`, which none of its patterns names", c.String(), c.Name().Text)
		default:
			in.why = fmt.Sprintf("`%s` matches none of its patterns", c.String())
		}
		return false
	}
	return true
}

func (in *input) leafCount() int {
	n := 0
	for i := range in.views {
		if !in.views[i].c.Wrapper {
			n++
		}
	}
	return n
}

func hasDynamic(c *shellcmd.Command) bool {
	for _, w := range c.Argv {
		if w.Dynamic {
			return true
		}
	}
	return false
}

// TreeCommands lists the commands of the command's tree as the matcher
// reads them (canonical argv; wrappers marked), for `stepgate policy test`.
func TreeCommands(command, shell string) []string {
	t := commandTree(command, shell)
	out := make([]string, 0, len(t.Commands))
	for i := range t.Commands {
		c := &t.Commands[i]
		s := c.String()
		switch {
		case c.Name().Dynamic:
			s += "   (decided at run time)"
		case c.Wrapper && c.Transparent():
			s += "   (wrapper)"
		case c.Wrapper:
			s += "   (wrapper; an allow rule must name it)"
		}
		if len(c.Via) > 0 {
			s += "   via " + strings.Join(c.Via, " > ")
		}
		out = append(out, s)
	}
	if t.Err != nil {
		out = append(out, "(incomplete: "+t.Err.Error()+")")
	}
	return out
}
