// What a walk yields: the commands a shell command runs, each with its
// canonical argv and how it was reached.

package shellcmd

import (
	"strings"
)

// Command is one command found in the tree.
type Command struct {
	// Argv is the command's canonical argv; Argv[0] is the name, dynamic
	// when the name (or the whole code) is decided at run time.
	Argv []Word
	// Inner is, for a wrapper, the index in Argv where the wrapped command
	// starts (sudo -u x CMD …: 3); 0 for a command that wraps nothing.
	Inner int
	// Wrapper: this entry is a wrapper (sudo, env, bash -c, xargs …) whose
	// wrapped commands follow as their own entries, with Parent pointing here.
	Wrapper bool
	// Parent is the index of the wrapper or command (find -exec) this one
	// was found through, or -1.
	Parent int
	// Via says how the command was reached: "sudo", "bash -c", "$(…)" …
	Via []string
	// Assigns are the variables set for this command only (X=1 cmd, env X=1).
	Assigns []string
	// Writes are the files the command's output is redirected to.
	Writes []Word
}

// Name returns the canonical command name.
func (c *Command) Name() Word {
	if len(c.Argv) == 0 {
		return Word{}
	}
	return c.Argv[0]
}

// String renders the argv for messages; dynamic words show as written.
func (c *Command) String() string {
	var b strings.Builder
	for i, w := range c.Argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		t := w.Text
		if !w.Dynamic && (t == "" || strings.ContainsAny(t, " \t\n'\"\\$`;&|<>()*?[]{}#~")) {
			t = "'" + strings.ReplaceAll(t, "'", `'\''`) + "'"
		}
		b.WriteString(t)
	}
	return b.String()
}

// Tree is every command a shell command runs, as far as can be seen.
type Tree struct {
	Commands []Command
	// Assigns lists every variable the command assigns anywhere (X=1,
	// export X=1, env X=1 cmd, read X, for X in …).
	Assigns []string
	// Err is set when part of the command could not be parsed or the walk
	// hit a limit; the tree then holds what could be read.
	Err error
}

// Dynamic reports whether some command's name or code is decided at run time.
func (t *Tree) Dynamic() bool {
	for i := range t.Commands {
		if t.Commands[i].Name().Dynamic {
			return true
		}
	}
	return false
}
