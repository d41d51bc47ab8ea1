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

// optScan walks getopt-style options: valued lists the options that take
// a value ("-n --adjustment"). It returns the index of the first operand.
// A dynamic word stops the scan: it may be anything, so it is treated as
// the operand (the wrapped command's name, which is then dynamic).
func optScan(argv []Word, start int, valued string) int {
	i := start
	for i < len(argv) {
		a := argv[i]
		if a.Dynamic {
			return i
		}
		s := a.Text
		if s == "--" {
			return i + 1
		}
		if len(s) < 2 || s[0] != '-' {
			return i
		}
		i++
		if strings.HasPrefix(s, "--") {
			if !strings.Contains(s, "=") && hasWord(valued, s) {
				i++
			}
			continue
		}
		if hasWord(valued, s) {
			i++
			continue
		}
		// A short cluster: a valued letter takes the rest or the next word.
		for k := 1; k < len(s); k++ {
			if hasWord(valued, "-"+s[k:k+1]) {
				if k == len(s)-1 {
					i++
				}
				break
			}
		}
	}
	return min(i, len(argv))
}

func hasWord(list, w string) bool {
	for len(list) > 0 {
		var f string
		f, list, _ = strings.Cut(list, " ")
		if f == w {
			return true
		}
	}
	return false
}

// optValue returns the value of one of names (space separated) in
// argv[start:end]: "-c X", "-cX", "--command=X", "--command X".
func optValue(argv []Word, start, end int, names string) (Word, bool) {
	for i := start; i < end && i < len(argv); i++ {
		s := argv[i].Text
		if argv[i].Dynamic || len(s) < 2 || s[0] != '-' {
			continue
		}
		if s == "--" {
			return Word{}, false
		}
		for _, n := range strings.Fields(names) {
			switch {
			case s == n && i+1 < len(argv):
				return argv[i+1], true
			case strings.HasPrefix(n, "--") && strings.HasPrefix(s, n+"="):
				v := argv[i]
				v.Text = s[len(n)+1:]
				v.Prefix = strings.TrimPrefix(v.Prefix, n+"=")
				return v, true
			case len(n) == 2 && !strings.HasPrefix(s, "--") && strings.HasPrefix(s, n) && len(s) > 2:
				v := argv[i]
				v.Text, v.Prefix = s[2:], strings.TrimPrefix(v.Prefix, n)
				return v, true
			case len(n) == 2 && !strings.HasPrefix(s, "--") && strings.HasSuffix(s, n[1:]) && i+1 < len(argv):
				return argv[i+1], true // a cluster ending in the letter: -qc CMD
			}
		}
	}
	return Word{}, false
}

// simple wrappers: options (valued lists those taking a value), then skip
// operands, then the command.
type wrapSpec struct {
	valued string
	skip   int
}

var simpleWrappers = map[string]wrapSpec{
	"nohup": {}, "setsid": {}, "builtin": {}, "unbuffer": {}, "tini": {}, "dumb-init": {},
	"catchsegv": {}, "chronic": {}, "ifne": {}, "with-contenv": {}, "busybox": {}, "toybox": {},
	"time":        {valued: "-f --format -o --output"},
	"exec":        {valued: "-a"},
	"nice":        {valued: "-n --adjustment"},
	"ionice":      {valued: "-c --class -n --classdata -t"},
	"stdbuf":      {valued: "-i -o -e --input --output --error"},
	"timeout":     {valued: "-s --signal -k --kill-after", skip: 1},
	"gtimeout":    {valued: "-s --signal -k --kill-after", skip: 1},
	"chrt":        {valued: "-T -P -D --sched-runtime --sched-period --sched-deadline", skip: 1},
	"taskset":     {skip: 1},
	"numactl":     {valued: "-C -N -m -p -i --physcpubind --cpunodebind --membind --preferred --interleave"},
	"cpulimit":    {valued: "-l --limit -e --exe -P --path"},
	"trickle":     {valued: "-u -d -w -t -l -n"},
	"strace":      {valued: "-e -o -p -s -u -E -a -b -I -O -P -S -X --output --attach --user --env --trace --signal"},
	"ltrace":      {valued: "-e -o -p -s -u -n -a -A -D -F -l -w --output --library"},
	"fakeroot":    {valued: "-l --lib -s -i --faked"},
	"nsenter":     {valued: "-t --target -S --setuid -G --setgid -w --wd -R --root -Z"},
	"unshare":     {valued: "--map-user --map-group --setgroups --propagation -S --setuid -G --setgid -R --root -w --wd --map-users --map-groups"},
	"systemd-run": {valued: "-p --property -u --unit -E --setenv --uid --gid --working-directory --slice --description --on-calendar --on-active --on-boot --on-startup --on-unit-active --on-unit-inactive --timer-property -M --machine -H --host --nice --path-property --socket-property --service-type -G"},
	"run0":        {valued: "-u --user -g --group -D --chdir --setenv --unit --property --description --slice --nice --machine"},
	"sudo":        {valued: "-u -g -h -p -C -D -r -t -T -U --user --group --host --prompt --chdir --close-from --role --type --command-timeout --other-user"},
	"doas":        {valued: "-u -C"},
	"pkexec":      {valued: "--user"},
	"chroot":      {valued: "--userspec --groups", skip: 1},
	"gosu":        {skip: 1},
	"su-exec":     {skip: 1},
	"proxychains": {valued: "-f"}, "proxychains4": {valued: "-f"},
	"torsocks":   {valued: "-u -p -a -P"},
	"caffeinate": {valued: "-w -t"},
	"screen":     {valued: "-S -c -e -h -p -s -T -Logfile"},
	"dotenv":     {valued: "-e -f -v -p"},
	"retry":      {valued: "-t --times -d --delay"},
}

// Transparent wrappers change nothing a policy cares about: an allow rule
// does not need to name them, only what they run. Everything else that
// wraps (sudo, ssh, su, kubectl exec, screen, systemd-run …) must itself
// match an allow pattern.
var transparent = map[string]bool{
	"nohup": true, "builtin": true, "command": true, "exec": true, "time": true, "nice": true,
	"ionice": true, "stdbuf": true, "timeout": true, "gtimeout": true, "chrt": true, "taskset": true,
	"env": true, "eval": true, "xargs": true, "unbuffer": true, "busybox": true, "chronic": true,
}

// Transparent reports whether this wrapper entry changes nothing an allow
// rule cares about (nice, timeout, env, bash -c, …), so that only what it
// runs must match.
func (c *Command) Transparent() bool {
	if !c.Wrapper || c.Name().Dynamic {
		return false
	}
	name := c.Name().Text
	switch {
	case isShell(name):
		for _, w := range c.Argv[1:max(c.Inner, 1)] {
			s := w.Text
			if strings.HasPrefix(s, "--") && s != "--" && s != "--noprofile" && s != "--norc" && s != "--posix" {
				return false
			}
			if strings.HasPrefix(s, "-") && strings.ContainsAny(s, "il") {
				return false
			}
		}
		return true
	case name == "uv" || name == "poetry" || name == "pipenv" || name == "pdm" || name == "hatch" || name == "rye":
		return c.Inner == 2
	}
	return transparent[name]
}

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "yash", "rbash", "posh", "lksh", "oksh":
		return true
	}
	return false
}

// IsShell reports whether name is a POSIX-style shell (bash, sh, zsh …).
func IsShell(name string) bool { return isShell(name) }

// peel decides whether argv[0] (canonical) wraps another command.
func peel(argv []Word, stdin stdinKind) peeled {
	name := argv[0].Text
	if s, ok := simpleWrappers[name]; ok {
		return peelSimple(name, argv, s, stdin)
	}
	switch {
	case isShell(name):
		return peelShell(argv, stdin)
	}
	switch name {
	case "command":
		i := optScan(argv, 1, "")
		for _, w := range argv[1:i] {
			if strings.ContainsAny(w.Text, "vV") {
				return peeled{}
			}
		}
		return wrapAt(argv, i)
	case "env":
		return peelEnv(argv)
	case "eval":
		if len(argv) < 2 {
			return peeled{}
		}
		return peeled{wrapper: true, inner: 1, code: []Word{joinCode(argv[1:])}}
	case "xargs":
		return peelXargs(argv)
	case "find":
		return peelFind(argv)
	case "parallel":
		return peelParallel(argv)
	case "ssh":
		return peelSSH(argv, stdin)
	case "su":
		return peelSu(argv, stdin)
	case "runuser":
		if u, ok := optValue(argv, 1, len(argv), "-u --user"); ok && !u.Dynamic {
			return wrapAt(argv, optScan(argv, 1, "-u --user -g --group -G --supp-group -s --shell -w --whitelist-environment"))
		}
		return peelSu(argv, stdin)
	case "watch":
		i := optScan(argv, 1, "-n --interval -q --equexit")
		if i >= len(argv) {
			return peeled{}
		}
		for _, w := range argv[1:i] {
			if w.Text == "-x" || w.Text == "--exec" {
				return wrapAt(argv, i)
			}
		}
		return peeled{wrapper: true, inner: i, code: []Word{joinCode(argv[i:])}}
	case "script":
		if v, ok := optValue(argv, 1, len(argv), "-c --command"); ok {
			return peeled{wrapper: true, code: []Word{v}}
		}
	case "flock":
		if v, ok := optValue(argv, 1, len(argv), "-c --command"); ok {
			return peeled{wrapper: true, code: []Word{v}}
		}
		i := optScan(argv, 1, "-w --timeout -E --conflict-exit-code")
		return wrapAt(argv, i+1)
	case "trap":
		i := optScan(argv, 1, "")
		if i+1 < len(argv) && argv[i].Text != "-" && (argv[i].Dynamic || argv[i].Text != "") {
			return peeled{code: []Word{argv[i]}}
		}
	case "tmux":
		return peelTmux(argv)
	case "gdb":
		return peelGdb(argv)
	case "nix-shell":
		if v, ok := optValue(argv, 1, len(argv), "--run --command"); ok {
			return peeled{wrapper: true, code: []Word{v}}
		}
	case "nix":
		return peelNix(argv)
	case "uv", "poetry", "pipenv", "pdm", "hatch", "rye", "pixi", "bundle", "pnpm", "yarn", "npm", "bun":
		return peelToolRun(argv)
	case "npx", "bunx", "pnpx", "uvx", "pipx":
		i := optScan(argv, 1, "-p --package -c --call --spec --from --with --python")
		if name == "pipx" {
			if i >= len(argv) || argv[i].Text != "run" {
				return peeled{}
			}
			i = optScan(argv, i+1, "--spec --python")
		}
		if c, ok := optValue(argv, 1, len(argv), "-c --call"); ok && name == "npx" {
			return peeled{wrapper: true, code: []Word{c}}
		}
		return wrapAt(argv, i)
	case "aws-vault", "chamber":
		return peelDashDash(argv, "exec")
	case "op", "doppler", "infisical", "dotenvx", "teller":
		return peelDashDash(argv, "run")
	case "kubectl", "oc":
		return peelKubectl(argv)
	case "docker", "podman", "nerdctl":
		return peelDockerExec(argv)
	case "source":
		// `. <(…)` and `. "$F"` run code decided at run time.
		if len(argv) > 1 && argv[1].Dynamic {
			return peeled{code: []Word{{Text: argv[1].Text, Dynamic: true, Split: true}}}
		}
	case "terragrunt":
		// terragrunt hands the commands it does not know to terraform
		// (terragrunt destroy, terragrunt run-all destroy, terragrunt run -- destroy).
		i := optScan(argv, 1, "--terragrunt-working-dir --working-dir --terragrunt-config --config --terragrunt-tfpath --tfpath")
		for i < len(argv) && (argv[i].Text == "run-all" || argv[i].Text == "run" || argv[i].Text == "--all" || argv[i].Text == "--") {
			i++
		}
		if i < len(argv) && !argv[i].Dynamic {
			return peeled{wrapper: true, inner: i, rewrite: append([]Word{Lit("terraform")}, argv[i:]...)}
		}
	case "at", "batch":
		// at(1) runs its standard input (or -f FILE) later.
		if stdin != stdinNone {
			return peeled{wrapper: true, stdin: true}
		}
	case "git":
		if c := gitConfigCode(argv); len(c) > 0 {
			return peeled{code: c}
		}
	}
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

func wrapAt(argv []Word, i int) peeled {
	if i <= 0 || i >= len(argv) {
		return peeled{}
	}
	return peeled{wrapper: true, inner: i}
}

func peelSimple(name string, argv []Word, s wrapSpec, stdin stdinKind) peeled {
	i := optScan(argv, 1, s.valued)
	switch name {
	case "taskset", "chrt", "ionice":
		for _, w := range argv[1:i] {
			if strings.HasPrefix(w.Text, "-") && !strings.HasPrefix(w.Text, "--") && strings.Contains(w.Text, "p") || w.Text == "--pid" || w.Text == "--all-tasks" {
				return peeled{}
			}
			if name == "taskset" && (strings.HasPrefix(w.Text, "-c") || w.Text == "--cpu-list") {
				s.skip = 0
			}
		}
		if name == "taskset" && i > 1 && s.skip == 0 && i < len(argv) {
			i++ // the cpu list after -c
		}
	case "sudo", "doas", "run0", "pkexec":
		for _, w := range argv[1:i] {
			if w.Text == "-e" || w.Text == "--edit" || w.Text == "-l" || w.Text == "--list" || w.Text == "-v" || w.Text == "-k" || w.Text == "-K" {
				return peeled{}
			}
		}
		if i >= len(argv) {
			return peeled{stdin: stdin != stdinNone}
		}
	case "busybox", "toybox":
		if i < len(argv) && isShell(argv[i].Text) {
			return wrapAt(argv, i)
		}
	}
	return wrapAt(argv, i+s.skip)
}

// peelShell handles sh/bash: -c STRING, a script file, or stdin.
func peelShell(argv []Word, stdin stdinKind) peeled {
	cflag := false
	i := 1
	for ; i < len(argv); i++ {
		a := argv[i]
		if a.Dynamic {
			break
		}
		s := a.Text
		if s == "--" || s == "-" {
			i++
			break
		}
		if len(s) < 2 || (s[0] != '-' && s[0] != '+') {
			break
		}
		switch s {
		case "-o", "+o", "-O", "+O", "--rcfile", "--init-file":
			i++
			continue
		}
		if s[0] == '-' && s[1] != '-' && strings.ContainsRune(s, 'c') {
			cflag = true
		}
	}
	switch {
	case cflag && i < len(argv):
		return peeled{wrapper: true, inner: i, code: []Word{argv[i]}}
	case cflag:
		return peeled{}
	case i < len(argv) && !stdinFlag(argv[1:i]):
		return peeled{wrapper: true, inner: i, script: true}
	}
	return peeled{wrapper: stdin != stdinNone, stdin: stdin != stdinNone}
}

func stdinFlag(opts []Word) bool {
	for _, w := range opts {
		if w.Text == "-s" || len(w.Text) > 1 && w.Text[0] == '-' && w.Text[1] != '-' && strings.ContainsRune(w.Text, 's') {
			return true
		}
	}
	return false
}

// peelEnv handles env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE]… CMD.
func peelEnv(argv []Word) peeled {
	var p peeled
	i := 1
	for i < len(argv) {
		a := argv[i]
		s := a.Text
		switch {
		case a.Dynamic && a.MayBeOption():
			return peeled{wrapper: true, inner: i}
		case s == "-u" || s == "-C" || s == "--unset" || s == "--chdir":
			i += 2
		case s == "-S" || s == "--split-string":
			if i+1 < len(argv) {
				p.wrapper = true
				p.code = []Word{joinCode(append([]Word{argv[i+1]}, quoteAll(argv[i+2:])...))}
				p.inner = i + 1
			}
			return p
		case strings.HasPrefix(s, "--split-string=") || strings.HasPrefix(s, "-S") && !strings.HasPrefix(s, "--"):
			v, _ := optValue(argv, i, i+1, "-S --split-string")
			p.wrapper, p.inner = true, i
			p.code = []Word{joinCode(append([]Word{v}, quoteAll(argv[i+1:])...))}
			return p
		case s == "--":
			i++
		case len(s) > 1 && s[0] == '-':
			i++
		case s == "-":
			i++
		default:
			if n, _, ok := strings.Cut(s, "="); ok && n != "" && !a.Dynamic || a.Dynamic && strings.Contains(a.Prefix, "=") {
				p.assigns = append(p.assigns, n)
				i++
				continue
			}
			p.wrapper, p.inner = true, i
			return p
		}
	}
	return p
}

// quoteAll marks words to be passed on as single words when joined into code.
func quoteAll(ws []Word) []Word {
	out := make([]Word, len(ws))
	for i, w := range ws {
		if w.Dynamic {
			out[i] = w
			continue
		}
		out[i] = Lit(shellQuote(w.Text))
	}
	return out
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]{}#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// joinCode joins words into one string of shell code, as eval and ssh do.
// If any word is dynamic the code is dynamic: its value may hold operators.
func joinCode(ws []Word) Word {
	if len(ws) == 1 {
		return ws[0]
	}
	var b strings.Builder
	dyn := false
	prefix := -1
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w.Dynamic && !dyn {
			dyn = true
			prefix = b.Len() + len(w.Prefix)
		}
		b.WriteString(w.Text)
	}
	out := Word{Text: b.String(), Dynamic: dyn, Split: dyn}
	out.Prefix = out.Text
	if dyn {
		out.Prefix = out.Text[:prefix]
	}
	return out
}

// peelXargs: xargs [opts] [CMD [ARGS]]; input words are appended, or
// replace the -I string.
func peelXargs(argv []Word) peeled {
	const valued = "-a --arg-file -d --delimiter -E -I -L -n --max-args -P --max-procs -s --max-chars --process-slot-var --replace -e -i -l --eof --max-lines"
	i := optScan(argv, 1, valued)
	rep := ""
	if v, ok := optValue(argv, 1, i, "-I --replace"); ok {
		rep = v.Text
	}
	for _, w := range argv[1:i] {
		if w.Text == "-i" || w.Text == "--replace" {
			rep = "{}"
		} else if strings.HasPrefix(w.Text, "-i") && len(w.Text) > 2 {
			rep = w.Text[2:]
		}
	}
	var inner []Word
	if i >= len(argv) {
		inner = []Word{Lit("echo")}
	} else {
		inner = append(inner, argv[i:]...)
	}
	input := Word{Text: "{input}", Dynamic: true, Split: rep == ""}
	if rep == "" {
		inner = append(inner, input)
	} else {
		inner = replaceIn(inner, rep)
	}
	return peeled{wrapper: true, inner: i, rewrite: inner}
}

// replaceIn makes every word containing rep dynamic: the input replaces it.
func replaceIn(ws []Word, reps ...string) []Word {
	out := make([]Word, len(ws))
	for i, w := range ws {
		out[i] = w
		for _, rep := range reps {
			if rep == "" || w.Dynamic || !strings.Contains(w.Text, rep) {
				continue
			}
			k := strings.Index(w.Text, rep)
			out[i] = Word{Text: w.Text, Prefix: w.Text[:k], Dynamic: true}
			break
		}
	}
	return out
}

// peelFind: find's own words stay one command; each -exec/-execdir/-ok
// runs a command of its own with {} standing for each file found.
func peelFind(argv []Word) peeled {
	var p peeled
	for i := 1; i < len(argv); i++ {
		s := argv[i].Text
		if s != "-exec" && s != "-execdir" && s != "-ok" && s != "-okdir" {
			continue
		}
		j := i + 1
		for j < len(argv) && argv[j].Text != ";" && argv[j].Text != "+" {
			j++
		}
		if j > i+1 {
			p.children = append(p.children, replaceIn(argv[i+1:j], "{}"))
		}
		i = j
	}
	return p
}

// peelParallel: GNU parallel runs its command words as shell code, with
// {} and friends replaced by each input.
func peelParallel(argv []Word) peeled {
	const valued = "-j --jobs -S --sshlogin --joblog -a --arg-file -d --delimiter -I -E --colsep -C -n -N -L --results --tmpdir --workdir --env --timeout --delay --retries --halt --tag-string --basefile --sshloginfile -P --max-procs --max-args --line-buffer-x"
	i := optScan(argv, 1, valued)
	j := i
	for j < len(argv) && !strings.HasPrefix(argv[j].Text, ":::") {
		j++
	}
	if j == i {
		return peeled{wrapper: true, stdin: true}
	}
	code := joinCode(argv[i:j])
	// With one ::: list of static inputs the commands are known: each input
	// replaces {} or is appended.
	var inputs []Word
	if j < len(argv) && argv[j].Text == ":::" {
		inputs = argv[j+1:]
		for _, w := range inputs {
			if w.Dynamic || strings.HasPrefix(w.Text, ":::") {
				inputs = nil
				break
			}
		}
	}
	if !code.Dynamic && len(inputs) > 0 && len(inputs) <= 16 && !strings.ContainsAny(strings.ReplaceAll(code.Text, "{}", ""), "{") {
		var codes []Word
		for _, in := range inputs {
			q := shellQuote(in.Text)
			t := code.Text + " " + q
			if strings.Contains(code.Text, "{}") {
				t = strings.ReplaceAll(code.Text, "{}", q)
			}
			codes = append(codes, Lit(t))
		}
		return peeled{wrapper: true, inner: i, code: codes}
	}
	if !code.Dynamic && strings.Contains(code.Text, "{") {
		k := strings.IndexByte(code.Text, '{')
		code = Word{Text: code.Text, Prefix: code.Text[:k], Dynamic: true, Split: true}
	} else if !code.Dynamic {
		// Without a replacement string each input is appended.
		code = Word{Text: code.Text + " {}", Prefix: code.Text + " ", Dynamic: true, Split: true}
	}
	return peeled{wrapper: true, inner: i, code: []Word{code}}
}

// peelSSH: ssh [opts] HOST [CMD …] runs the joined words as shell code on
// HOST; -o ProxyCommand/LocalCommand run locally.
func peelSSH(argv []Word, stdin stdinKind) peeled {
	const valued = "-B -b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w"
	var p peeled
	for k := 1; k < len(argv); k++ {
		if argv[k].Text != "-o" || k+1 >= len(argv) {
			continue
		}
		v := argv[k+1]
		key, val, _ := strings.Cut(v.Text, "=")
		if !strings.Contains(v.Text, "=") {
			key, val, _ = strings.Cut(v.Text, " ")
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "proxycommand", "localcommand", "knownhostscommand", "remotecommand":
			c := v
			c.Text = strings.TrimSpace(val)
			if v.Dynamic {
				c = dynWord(v.Text)
			}
			p.code = append(p.code, c)
		}
	}
	i := optScan(argv, 1, valued)
	p.wrapper = true
	if i+1 < len(argv) {
		p.inner = i + 1
		p.code = append(p.code, joinCode(argv[i+1:]))
	} else if stdin != stdinNone {
		p.stdin = true
	} else if len(p.code) == 0 {
		return peeled{}
	}
	return p
}

// peelSu: su [opts] [-] [USER] with -c CMD runs CMD as shell code.
func peelSu(argv []Word, stdin stdinKind) peeled {
	if v, ok := optValue(argv, 1, len(argv), "-c --command --session-command"); ok {
		return peeled{wrapper: true, code: []Word{v}}
	}
	if stdin != stdinNone {
		return peeled{wrapper: true, stdin: true}
	}
	return peeled{}
}

// peelTmux: tmux new-session/new-window/split-window/run-shell/respawn
// take a shell command; send-keys types one.
func peelTmux(argv []Word) peeled {
	var p peeled
	if v, ok := optValue(argv, 1, len(argv), "-c"); ok {
		p.code = append(p.code, v)
	}
	i := optScan(argv, 1, "-L -S -f -c -T")
	if i >= len(argv) {
		if len(p.code) > 0 {
			p.wrapper = true
		}
		return p
	}
	switch argv[i].Text {
	case "new-session", "new", "new-window", "neww", "split-window", "splitw", "run-shell", "run", "respawn-pane", "respawnp", "respawn-window", "respawnw", "pipe-pane", "pipep", "display-popup", "popup":
		j := optScan(argv, i+1, "-s -n -t -c -x -y -e -F -f -l -p -T -A -X -B -D -E -h -w -d? -b -S")
		if j < len(argv) {
			p.code = append(p.code, joinCode(argv[j:]))
		}
	case "send-keys", "send":
		j := optScan(argv, i+1, "-t -N -c")
		var keys []Word
		for _, k := range argv[j:] {
			switch k.Text {
			case "Enter", "C-m", "KPEnter", "C-j":
				continue
			}
			keys = append(keys, k)
		}
		if len(keys) > 0 {
			p.code = append(p.code, joinCode(keys))
		}
	}
	p.wrapper = len(p.code) > 0
	return p
}

// peelGdb: gdb --args PROG ARGS runs PROG; -ex 'shell CMD' runs CMD.
func peelGdb(argv []Word) peeled {
	var p peeled
	for k := 1; k < len(argv); k++ {
		s := argv[k].Text
		if s == "--args" || s == "-args" {
			p.wrapper, p.inner = true, k+1
			if p.inner >= len(argv) {
				p.inner = 0
			}
			break
		}
		var v Word
		switch {
		case (s == "-ex" || s == "--eval-command" || s == "-iex" || s == "--init-eval-command") && k+1 < len(argv):
			v = argv[k+1]
			k++
		case strings.HasPrefix(s, "--eval-command="):
			v = Lit(strings.TrimPrefix(s, "--eval-command="))
		default:
			continue
		}
		t := strings.TrimSpace(v.Text)
		if rest, ok := strings.CutPrefix(t, "shell "); ok || strings.HasPrefix(t, "!") || strings.HasPrefix(t, "pipe ") || v.Dynamic {
			if !ok {
				rest = strings.TrimPrefix(t, "!")
			}
			c := Lit(rest)
			if v.Dynamic {
				c = dynWord(v.Text)
			}
			p.wrapper = true
			p.code = append(p.code, c)
		}
	}
	return p
}

// peelNix: nix develop/shell … --command CMD ARGS; nix run PKG -- ARGS.
func peelNix(argv []Word) peeled {
	for k := 2; k < len(argv); k++ {
		if argv[k].Text == "-c" || argv[k].Text == "--command" {
			return wrapAt(argv, k+1)
		}
	}
	return peeled{}
}

// peelToolRun: uv run / poetry run / pipenv run / bundle exec / pnpm exec
// / npm exec -- keep the wrapped command's own options.
func peelToolRun(argv []Word) peeled {
	name := argv[0].Text
	const valued = "-C --directory -P --project --with --with-editable --with-requirements -p --python --package --extra --group --index --default-index --env-file --prefix --filter -F -w --workspace --cwd -e --environment --only-group --no-group"
	i := optScan(argv, 1, valued)
	if i >= len(argv) {
		return peeled{}
	}
	sub := argv[i].Text
	switch {
	case sub == "run" && (name == "npm" || name == "yarn" || name == "pnpm" || name == "bun"):
		return peeled{} // a package.json script: opaque, the name is what counts
	case sub == "run" || sub == "exec" || sub == "x" || sub == "dlx" || sub == "tool" && name == "uv":
		if sub == "tool" {
			if i+1 >= len(argv) || argv[i+1].Text != "run" {
				return peeled{}
			}
			i++
		}
		j := optScan(argv, i+1, valued)
		if name == "npm" {
			for k := i + 1; k < len(argv); k++ {
				if argv[k].Text == "--" {
					return wrapAt(argv, k+1)
				}
			}
		}
		return wrapAt(argv, j)
	}
	return peeled{}
}

// peelDashDash: TOOL SUB … -- CMD ARGS (aws-vault exec p -- cmd, op run -- cmd).
func peelDashDash(argv []Word, sub string) peeled {
	if len(argv) < 2 || argv[1].Text != sub {
		return peeled{}
	}
	for k := 2; k < len(argv); k++ {
		if argv[k].Text == "--" {
			return wrapAt(argv, k+1)
		}
	}
	if argv[0].Text == "aws-vault" || argv[0].Text == "chamber" {
		i := optScan(argv, 2, "-d --duration --region -t --mfa-token")
		return wrapAt(argv, i+1)
	}
	return peeled{}
}

// kubectl's options that take a value (global and common), so the verb and
// its operands can be found however options are placed.
const kubectlValued = "-n --namespace --context --cluster --user --kubeconfig -s --server --token --as --as-group --as-uid --certificate-authority --client-certificate --client-key --cache-dir --request-timeout -v --v -o --output -l --selector -f --filename -c --container --field-selector --sort-by -L --label-columns --template -p --patch --type --image --replicas --timeout --grace-period --for --to-revision -k --kustomize --from-file --from-literal --env-file --port --profile --target --pod-running-timeout --log-flush-frequency --tls-server-name --password --username --chunk-size -i? -e --env --overrides --serviceaccount --restart --labels --limits --requests --local-port --address"

// peelKubectl: kubectl exec/run/debug … -- CMD ARGS.
func peelKubectl(argv []Word) peeled {
	pos := positionalIdx(argv, 1, kubectlValued)
	if len(pos) == 0 {
		return peeled{}
	}
	switch argv[pos[0]].Text {
	case "exec", "run", "debug", "attach":
	default:
		return peeled{}
	}
	for k := pos[0] + 1; k < len(argv); k++ {
		if argv[k].Text == "--" {
			return wrapAt(argv, k+1)
		}
	}
	if argv[pos[0]].Text == "exec" && len(pos) >= 3 {
		return wrapAt(argv, pos[2])
	}
	return peeled{}
}

// peelDockerExec: docker exec [opts] CONTAINER CMD ARGS and docker run
// [opts] IMAGE CMD ARGS (the command runs in the container; with -v /:/host
// it reaches the host).
func peelDockerExec(argv []Word) peeled {
	i := optScan(argv, 1, "-H --host --config --context -c -l --log-level")
	if i < len(argv) && argv[i].Text == "container" {
		i++
	}
	if i >= len(argv) {
		return peeled{}
	}
	switch argv[i].Text {
	case "exec":
		j := optScan(argv, i+1, "-e --env --env-file -u --user -w --workdir --detach-keys")
		return wrapAt(argv, j+1)
	case "run":
		j := optScan(argv, i+1, dockerRunValued)
		return wrapAt(argv, j+1)
	}
	return peeled{}
}

// dockerRunValued are docker run's options that take a value.
const dockerRunValued = "-a --attach -c --cpu-shares --cidfile --cpus --cpuset-cpus --cpuset-mems -e --env --env-file --entrypoint -h --hostname -l --label --label-file --link --log-driver --log-opt -m --memory --memory-swap --mount --name --network --net --network-alias -p --publish --platform --pull --restart --runtime --security-opt --shm-size --stop-signal --stop-timeout --tmpfs -u --user --ulimit -v --volume --volumes-from -w --workdir --device --dns --dns-search --dns-option --add-host --cap-add --cap-drop --gpus --health-cmd --health-interval --health-retries --health-timeout --ipc --pid --userns --uts --group-add --mac-address --ip --ip6 --isolation --kernel-memory --oom-score-adj --storage-opt --sysctl --cgroupns --cgroup-parent --blkio-weight --device-read-bps --device-write-bps --expose --detach-keys"

// positionalIdx lists the indexes of operands from start, skipping options
// and the values of valued ones; after "--" nothing more is an option.
func positionalIdx(argv []Word, start int, valued string) []int {
	var out []int
	for i := start; i < len(argv); i++ {
		s := argv[i].Text
		if s == "--" {
			break
		}
		if len(s) > 1 && s[0] == '-' && !argv[i].Dynamic {
			if !strings.Contains(s, "=") && hasWord(valued, s) {
				i++
			}
			continue
		}
		out = append(out, i)
	}
	return out
}
