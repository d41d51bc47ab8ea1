// Package shellcmd turns a shell command into the simple commands it runs,
// each with canonical argv, so that policy matching and risk assessment see
// the same thing however the command was written.
//
// [Parse] reads the command with mvdan.cc/sh once and walks every simple
// command in the tree: inside lists, pipelines, subshells, groups,
// functions, conditionals and loops, and inside $(…), `…` and <(…). It peels
// wrappers (sudo, env, nice, timeout, nohup, command, exec, stdbuf, xargs,
// find -exec, parallel, …) and parses again the strings that other programs
// run as shell code (bash -c, eval, ssh host '…', su -c, trap, watch, a
// here-document fed to a shell, `echo … | sh`). What cannot be known before
// the command runs ($VAR, $(…), ${X:-/}, globs, arithmetic, a download piped
// into a shell) is marked [Word.Dynamic]; a command whose name or code is
// decided at run time is still yielded, with a dynamic name.
//
// Command names are canonical: quotes and backslashes removed, $'…'
// decoded, brace expansion applied, and absolute paths of the standard bin
// directories reduced to the name (/usr/bin/rm is rm). [Command.Parse]
// canonicalises options: short clusters split, long forms of common tools'
// options mapped to their short forms, GNU and git unique-prefix long
// options resolved, option values attached, `--` understood.
package shellcmd
