// Peeling: whether a command wraps another and how, dispatched by name to
// the peelers of the peel_*.go files.

package shellcmd

import (
	"strings"
)

// peeled is what a wrapper does with its arguments.
type peeled struct {
	wrapper  bool
	inner    int      // index in argv of the wrapped command; 0: none
	script   bool     // argv[inner] is a script file run by a shell: a path
	code     []Word   // strings the wrapper runs as shell code
	stdin    bool     // the wrapper runs its standard input as shell code
	assigns  []string // env NAME=VALUE
	children [][]Word // commands a (non-wrapper) command runs: find -exec
	rewrite  []Word   // replaces argv[inner:] (xargs appends its input)
}

// peel decides whether argv[0] (canonical) wraps another command.
func peel(argv []Word, stdin stdinKind) peeled {
	name := argv[0].Text
	if s, ok := simpleWrappers[name]; ok {
		return peelSimple(name, argv, s, stdin)
	}
	if isShell(name) {
		return peelShell(argv, stdin)
	}
	if f, ok := peelers[name]; ok {
		return f(argv, stdin)
	}
	return peelInterpreter(argv)
}

// peeler reads one wrapper's argv; one that wraps nothing it can see ends
// with peelInterpreter, the answer for any other command.
type peeler func(argv []Word, stdin stdinKind) peeled

// peelers are the wrappers with a shape of their own, by canonical name.
var peelers = byName([]namedPeeler{
	{"command", peelCommand},
	{"env", ignoreStdin(peelEnv)},
	{"eval", peelEval},
	{"xargs", ignoreStdin(peelXargs)},
	{"find", ignoreStdin(peelFind)},
	{"parallel", ignoreStdin(peelParallel)},
	{"ssh", peelSSH},
	{"su", peelSu},
	{"runuser", peelRunuser},
	{"watch", peelWatch},
	{"script", peelScript},
	{"flock", peelFlock},
	{"trap", peelTrap},
	{"tmux", ignoreStdin(peelTmux)},
	{"gdb", ignoreStdin(peelGdb)},
	{"nix-shell", peelNixShell},
	{"nix", ignoreStdin(peelNix)},
	{"uv poetry pipenv pdm hatch rye pixi bundle pnpm yarn npm bun", ignoreStdin(peelToolRun)},
	{"npx bunx pnpx uvx pipx", peelPackageRunner},
	{"aws-vault chamber", dashDash("exec")},
	{"op doppler infisical dotenvx teller", dashDash("run")},
	{"kubectl oc", ignoreStdin(peelKubectl)},
	{"docker podman nerdctl", ignoreStdin(peelDockerExec)},
	{"source", peelSource},
	{"terragrunt", peelTerragrunt},
	{"at batch", peelAt},
	{"git", peelGit},
})

// namedPeeler is one peeler and the commands it reads.
type namedPeeler struct {
	names string // space separated
	peel  peeler
}

// byName indexes peelers by each of their names.
func byName(list []namedPeeler) map[string]peeler {
	m := map[string]peeler{}
	for _, e := range list {
		for _, n := range strings.Fields(e.names) {
			m[n] = e.peel
		}
	}
	return m
}

// ignoreStdin adapts a peeler that does not care where its input comes from.
func ignoreStdin(f func([]Word) peeled) peeler {
	return func(argv []Word, _ stdinKind) peeled { return f(argv) }
}

// peelInterpreter: an interpreter's program (python -c, perl -e, node -e …)
// that shells out (os.system, subprocess, backticks) runs that shell code.
func peelInterpreter(argv []Word) peeled {
	if code, ok := interpreterCode(argv); ok {
		if code.Dynamic {
			return peeled{}
		}
		if outs := shellOuts(code.Text); len(outs) > 0 {
			return peeled{code: outs}
		}
	}
	return peeled{}
}

// peelCommand: command [-p] CMD runs CMD; command -v/-V only looks it up.
func peelCommand(argv []Word, _ stdinKind) peeled {
	i := optScan(argv, 1, "")
	for _, w := range argv[1:i] {
		if strings.ContainsAny(w.Text, "vV") {
			return peeled{}
		}
	}
	return wrapAt(argv, i)
}

func wrapAt(argv []Word, i int) peeled {
	if i <= 0 || i >= len(argv) {
		return peeled{}
	}
	return peeled{wrapper: true, inner: i}
}
