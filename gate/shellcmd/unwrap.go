package shellcmd

import "strings"

// Unwrap says what a wrapper does with its arguments; see Peel.
type Unwrap struct {
	// Inner is the index in argv of the wrapped command (0: none).
	Inner int
	// Script: argv[Inner] is a script file that a shell runs.
	Script bool
	// Code are strings the wrapper runs as shell code (bash -c STR,
	// env -S STR, ssh host CMD…, nix-shell --run STR).
	Code []Word
	// Stdin: the wrapper runs its standard input as shell code.
	Stdin bool
	// Assigns are variables the wrapper sets for the wrapped command.
	Assigns []string
	// Rewrite, when set, replaces argv[Inner:] (xargs appends its input).
	Rewrite []Word
}

// Peel reports whether argv[0], a canonical command name, runs another
// command, and how: the one wrapper table that the policy matcher and the
// risk assessor share. stdinCode tells whether the command's standard input
// is known text or another program's output (a shell reading it runs it).
func Peel(argv []Word, stdinCode bool) (Unwrap, bool) {
	if len(argv) == 0 || argv[0].Dynamic {
		return Unwrap{}, false
	}
	st := stdinNone
	if stdinCode {
		st = stdinDynamic
	}
	p := peel(argv, st)
	if !p.wrapper {
		return Unwrap{}, false
	}
	return Unwrap{Inner: p.inner, Script: p.script, Code: p.code, Stdin: p.stdin, Assigns: p.assigns, Rewrite: p.rewrite}, true
}

// LeafName returns the canonical name of the local program argv runs once
// wrappers that exec it are peeled (sudo nice rm → rm); "" when it is
// decided at run time. A wrapper that runs a string (bash -c, ssh host
// CMD) or a command elsewhere (kubectl exec, docker exec) is the name.
func LeafName(argv []Word) string {
	for range maxPeel {
		if len(argv) == 0 || argv[0].Dynamic {
			return ""
		}
		argv[0] = Lit(CanonName(argv[0].Text))
		u, ok := Peel(argv, false)
		if !ok || len(u.Code) > 0 || u.Stdin || u.Script || remote(argv[0].Text) {
			return argv[0].Text
		}
		if u.Inner <= 0 || u.Inner >= len(argv) {
			return ""
		}
		argv = argv[u.Inner:]
	}
	return ""
}

// remote: wrappers whose wrapped command runs on another machine or in a
// container.
func remote(name string) bool {
	switch name {
	case "ssh", "kubectl", "oc", "docker", "podman", "nerdctl":
		return true
	}
	return false
}

// Printed is the text `echo ARGS` or `printf ARGS` writes, escapes decoded
// where the command decodes them (printf's format and %b, echo -e), so
// `printf '\x72\x6d -rf /' | sh` reads as the code it is.
func Printed(name string, args []string) string {
	if name == "printf" {
		if len(args) > 0 && args[0] == "--" {
			args = args[1:]
		}
		if len(args) == 0 {
			return ""
		}
		format := args[0]
		if !strings.Contains(format, "%") {
			return DecodeANSI(format)
		}
		out := strings.Join(args[1:], " ")
		if strings.Contains(format, "%b") {
			out = DecodeANSI(strings.ReplaceAll(out, `\0`, `\`))
		}
		return out
	}
	decode := false
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' || strings.Trim(a[1:], "neE") != "" {
			break
		}
		decode = decode || strings.Contains(a, "e") && !strings.Contains(a[strings.LastIndex(a, "e"):], "E")
	}
	out := strings.Join(args[i:], " ")
	if decode {
		out = DecodeANSI(strings.ReplaceAll(out, `\0`, `\`))
	}
	return out
}
