package gate

import (
	"errors"
	"fmt"
	"strings"
)

// Shell is how the action's `shell` input becomes a process, mirroring
// GitHub's own `run:` steps: the script goes to a file and {0} in Template is
// its path. Known names map to fixed templates; anything else is a custom
// template, which is part of what reviewers approve (DESIGN.md invariant 4)
// and is refused unless the policy lists it in defaults.custom_shells.
type Shell struct {
	Name     string // the input as given ("bash" when empty)
	Template string // e.g. "bash --noprofile --norc -eo pipefail {0}"
	Ext      string // script file extension
	Prelude  string // added before the script (pwsh: stop on errors)
	Suffix   string // added after the script (pwsh: propagate $LASTEXITCODE)
	Custom   bool   // not one of the known names
}

// ResolveShell maps the shell input to its template. The client and the App
// both call it, so both see the same template for the same input.
func ResolveShell(input string) (Shell, error) {
	const pwshPrelude = "$ErrorActionPreference = 'stop'\n"
	const pwshSuffix = "\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }\n"
	name := strings.TrimSpace(input)
	switch name {
	case "", "bash":
		return Shell{Name: "bash", Template: "bash --noprofile --norc -eo pipefail {0}", Ext: ".sh"}, nil
	case "sh":
		return Shell{Name: name, Template: "sh -e {0}", Ext: ".sh"}, nil
	case "python":
		return Shell{Name: name, Template: "python {0}", Ext: ".py"}, nil
	case "pwsh":
		return Shell{Name: name, Template: "pwsh -command \". '{0}'\"", Ext: ".ps1", Prelude: pwshPrelude, Suffix: pwshSuffix}, nil
	case "powershell":
		return Shell{Name: name, Template: "powershell -command \". '{0}'\"", Ext: ".ps1", Prelude: pwshPrelude, Suffix: pwshSuffix}, nil
	case "cmd":
		return Shell{}, errors.New("input `shell`: cmd is only available on Windows runners; stepgate runs on Linux and macOS")
	}
	if !strings.Contains(input, "{0}") {
		return Shell{}, fmt.Errorf("input `shell`: %q is not bash, sh, python or pwsh, and a custom shell must contain {0} (the script path), e.g. \"perl {0}\"", input)
	}
	return Shell{Name: input, Template: input, Custom: true}, nil
}

// ScriptPlaceholder stands for the script file's path where a shell template
// is assessed or matched as a command of its own.
const ScriptPlaceholder = "/tmp/stepgate-script"

// TemplateCommand is the shell template as a command line, with {0}
// replaced by ScriptPlaceholder: what runs first, before the script.
func (s Shell) TemplateCommand() string {
	return strings.ReplaceAll(s.Template, "{0}", ScriptPlaceholder)
}
