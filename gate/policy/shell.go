package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

// builtinShells are GitHub's shell keywords and the templates they stand
// for; none needs listing in defaults.custom_shells.
var builtinShells = map[string]bool{
	"": true, "bash": true, "sh": true, "pwsh": true, "python": true, "cmd": true, "powershell": true,
	"bash --noprofile --norc -eo pipefail {0}": true, "bash -e {0}": true, "sh -e {0}": true,
	"python {0}": true, `pwsh -command ". '{0}'"`: true, `powershell -command ". '{0}'"`: true,
}

// ShellAllowed reports whether a step may use shell: GitHub's built-in
// shells always, a custom template ({0} for the script) only if listed
// exactly in defaults.custom_shells. The error names that key.
func (p *Policy) ShellAllowed(shell string) error {
	s := strings.Join(strings.Fields(shell), " ")
	if builtinShells[s] {
		return nil
	}
	if p != nil && slices.Contains(p.Defaults.CustomShells, s) {
		return nil
	}
	return fmt.Errorf("the shell template %q is not listed in defaults.custom_shells of the policy", s)
}

// commandTree is the tree of what a step runs: the command parsed as shell
// when the shell runs it as shell code, plus the commands of a custom
// shell template. Content another interpreter runs (python, pwsh, perl
// {0}) is not shell: the tree then holds the interpreter's command, which
// an allow rule must name.
func commandTree(command, shell string) *shellcmd.Tree {
	s := strings.Join(strings.Fields(shell), " ")
	switch s {
	case "", "bash", "sh", "bash --noprofile --norc -eo pipefail {0}", "bash -e {0}", "sh -e {0}":
		return shellcmd.Parse(command)
	case "python", "pwsh", "powershell", "cmd":
		s += " {0}"
	}
	tmpl := shellcmd.Parse(strings.ReplaceAll(s, "{0}", scriptPlaceholder))
	out := &shellcmd.Tree{Err: tmpl.Err, Assigns: tmpl.Assigns}
	runsShell := false
	for _, c := range tmpl.Commands {
		if n := c.Name().Text; !c.Name().Dynamic && (n == "./"+scriptPlaceholder || n == scriptPlaceholder) {
			runsShell = true // bash -x {0}: the script is shell code
			continue
		}
		out.Commands = append(out.Commands, c)
	}
	if runsShell {
		inner := shellcmd.Parse(command)
		off := len(out.Commands)
		for _, c := range inner.Commands {
			if c.Parent >= 0 {
				c.Parent += off
			}
			out.Commands = append(out.Commands, c)
		}
		out.Assigns = append(out.Assigns, inner.Assigns...)
		if out.Err == nil {
			out.Err = inner.Err
		}
	}
	return out
}

// scriptPlaceholder stands for the script's path in a shell template.
const scriptPlaceholder = "STEPGATE_SCRIPT"
