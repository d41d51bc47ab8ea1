package risk

// interpFamilies rates shells, interpreters and commands that evaluate
// strings as code.
func interpFamilies() []family {
	return []family{
		{[]string{"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh", "busybox", "rbash", "yash"}, (*assessor).shell},
		{[]string{"python", "pypy", "node", "nodejs", "ruby", "perl", "php", "pwsh", "powershell", "deno", "lua", "Rscript", "osascript"}, (*assessor).interpreter},
		{[]string{"awk", "gawk", "mawk", "nawk"}, func(a *assessor, name string, args []arg, c ctx) {
			if p := positionals(args, "-F", "-v", "-f"); len(p) > 0 {
				a.code(name, p[0].s, c)
			}
			a.secretArgs(name, args, c)
		}},
		{[]string{"eval", "source", "."}, (*assessor).evalCmd},
		{[]string{"iex", "Invoke-Expression"}, func(a *assessor, name string, args []arg, c ctx) {
			if len(args) == 0 {
				a.stdinCode(name, c, true)
			} else {
				a.codeArg(name, args[0], c)
			}
		}},
	}
}
