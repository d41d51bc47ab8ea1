package risk

import (
	"slices"
	"strings"
)

// dispatch applies the rules for one command.
func (a *assessor) dispatch(name string, a0 arg, args []arg, c ctx) {
	if strings.Contains(a0.s, "/") && !systemBin(a0.s) && !frameworkScript(name) && !(strings.HasSuffix(name, ".sh") && a.reg.lookup(name) != nil) {
		if a.isDownloaded(a0.s) {
			a.add(CatRemoteCode, LevelHigh, "runs "+quote(a0.s)+", which was downloaded from the network earlier in this command")
			return
		}
		a.opaque(joinArgs(append([]arg{a0}, args...)))
		return
	}
	a.exposureFlags(name, args)
	if anyArg(args, func(x arg) bool { return oneOf(x.s, "/etc/shadow", "/etc/gshadow") }) {
		switch name {
		case "chmod", "chown", "chgrp", "ls", "stat", "test", "[", "touch", "chattr", "getfacl", "lsattr", "cat", "less", "more", "head", "tail", "base64", "grep", "cp", "mv", "rm":
		default:
			a.add(CatSecrets, LevelHigh, "`"+name+"` reads the password hashes in `/etc/shadow`")
		}
	}
	if a.rules(name, args, c) {
		return
	}
	a.secretArgs(name, args, c)
}

// exposureFlags catches servers started without authentication or bound
// to every interface, whatever the program.
func (a *assessor) exposureFlags(name string, args []arg) {
	lvl, why := LevelNone, ""
	for i, x := range args {
		s := x.s
		next := ""
		if i+1 < len(args) {
			next = args[i+1].s
		}
		switch {
		case s == "--protected-mode" && next == "no", s == "--auth=false", s == "--no-auth", s == "--disable-auth", s == "--noauth", strings.HasPrefix(s, "--NotebookApp.token=") && len(s) == len("--NotebookApp.token=''")-2,
			strings.Contains(s, "tcp://0.0.0.0:2375"), strings.HasPrefix(s, "--authentication-token-webhook=false"), s == "--anonymous-auth=true", strings.HasPrefix(s, "--ServerApp.token=") && len(s) == len("--ServerApp.token="):
			lvl, why = LevelHigh, "`"+name+" "+s+"` serves without authentication"
		case lvl < LevelMedium && (s == "--bind_ip_all" || s == "--ip=0.0.0.0" || s == "--bind" && next == "0.0.0.0" || oneOf(s, "--bind=0.0.0.0", "--listen-address=0.0.0.0")):
			lvl, why = LevelMedium, "`"+name+"` listens on every network interface"
		}
	}
	if lvl > LevelNone {
		a.add(CatNetworkExposure, lvl, why)
	}
}

// frameworkScript lists project-local entry points that have rules of
// their own (bin/rails db:drop is as clear as rails db:drop).
func frameworkScript(name string) bool {
	switch name {
	case "rails", "rake", "manage.py", "artisan", "console", "gradlew", "mvnw", "flyway", "liquibase", "knex", "prisma", "sequelize", "typeorm", "alembic", "terraform", "kubectl", "helm":
		return true
	}
	return false
}

func systemBin(p string) bool {
	for _, d := range []string{"/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/", "/opt/homebrew/bin/", "/usr/lib/postgresql/"} {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

func (a *assessor) isDownloaded(p string) bool {
	p = strings.TrimPrefix(p, "./")
	for _, d := range a.downloaded {
		if d == p || baseName(d) == baseName(p) && baseName(p) != "" {
			return true
		}
	}
	return false
}

func (a *assessor) remember(file string) {
	if file != "" && file != "-" && len(a.downloaded) < 16 {
		a.downloaded = append(a.downloaded, strings.TrimPrefix(file, "./"))
	}
}

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh", "busybox", "rbash", "yash":
		return true
	}
	return false
}

// shell handles "bash -c STR", "bash script", "curl … | bash" and "bash <(…)".
func (a *assessor) shell(name string, args []arg, c ctx) {
	if name == "busybox" {
		if len(args) == 0 || !isShell(args[0].s) {
			a.exec(args, c)
			return
		}
		name, args = args[0].s, args[1:]
	}
	readsStdin := hasShort(args, 's')
	for i := 0; i < len(args); i++ {
		s := args[i].s
		if s == "-c" || len(s) > 2 && s[0] == '-' && s[1] != '-' && strings.HasSuffix(s, "c") {
			if i+1 < len(args) {
				a.reparse(args[i+1], c, "`"+name+" -c`")
			}
			return
		}
		if oneOf(s, "-o", "+o", "-O", "+O", "--rcfile", "--init-file") {
			i++
			continue
		}
		if s == "--" && readsStdin {
			break
		}
		if strings.HasPrefix(s, "-") && s != "-" && s != "--" || strings.HasPrefix(s, "+") {
			continue
		}
		if oneOf(s, "-", "/dev/stdin") {
			readsStdin = true
			break
		}
		if s == "--" {
			continue
		}
		a.scriptFile(name, args[i], args[i+1:], c)
		return
	}
	a.stdinCode(name, c, readsStdin)
}

// scriptFile is "bash FILE args".
func (a *assessor) scriptFile(name string, f arg, rest []arg, c ctx) {
	switch {
	case f.fetch:
		a.add(CatRemoteCode, LevelCritical, "`"+name+"` runs a script downloaded from the network ("+quote(f.s)+")")
	case f.decode:
		a.add(CatDynamicEval, LevelCritical, "`"+name+"` runs a script decoded from base64/hex at run time")
	case f.subst:
		a.add(CatDynamicEval, LevelMedium, "`"+name+"` runs a script produced by "+quote(f.inner))
	case a.isDownloaded(f.s):
		a.add(CatRemoteCode, LevelHigh, "`"+name+"` runs "+quote(f.s)+", which was downloaded from the network earlier in this command")
	default:
		a.opaque(joinArgs(append([]arg{{s: name}, f}, rest...)))
	}
}

// stdinCode is a shell or interpreter that executes what it reads on stdin.
func (a *assessor) stdinCode(name string, c ctx, explicit bool) {
	if c.sink != "" && isShell(name) {
		a.add(CatRemoteCode, LevelCritical, "connects a `"+name+"` shell to the network through `"+c.sink+"` (a reverse shell)")
		return
	}
	switch c.stdin {
	case stdinNet:
		a.add(CatRemoteCode, LevelCritical, "pipes a download from the network straight into `"+name+"`, running code that was never reviewed")
	case stdinDecoded:
		a.add(CatDynamicEval, LevelCritical, "pipes base64/hex-decoded data into `"+name+"`, running code hidden from reviewers")
	case stdinText:
		cc := c
		cc.depth++
		cc.stdin, cc.hdoc = stdinTerminal, ""
		if isShell(name) {
			if !a.script(c.hdoc, cc, false) {
				a.add(CatDynamicEval, LevelMedium, "`"+name+"` runs a here-document that is not valid shell syntax")
			}
		} else {
			a.code(name, c.hdoc, cc)
		}
	case stdinPipe:
		a.add(CatDynamicEval, LevelMedium, "runs the output of "+quote(c.from)+" as `"+name+"` code")
	case stdinFile:
		a.opaque(name + " < " + c.hdoc)
	default:
		if c.sink != "" {
			a.add(CatRemoteCode, LevelCritical, "connects a `"+name+"` shell to the network through `"+c.sink+"` (a reverse shell)")
			return
		}
		if c.sudo && isShell(name) {
			a.add(CatPrivilege, LevelHigh, "opens an interactive root shell (`"+name+"` under sudo)")
		}
	}
}

// interpreter handles python/node/ruby/perl/php/pwsh.
func (a *assessor) interpreter(name string, args []arg, c ctx) {
	lang := strings.TrimRight(name, "0123456789.")
	codeFlags := map[string][]string{
		"python": {"-c"}, "pypy": {"-c"}, "node": {"-e", "--eval", "-p", "--print"}, "nodejs": {"-e", "--eval", "-p"},
		"ruby": {"-e"}, "perl": {"-e", "-E"}, "php": {"-r"}, "pwsh": {"-c", "-command", "-Command", "-EncodedCommand", "-enc", "-e"},
		"powershell": {"-c", "-command", "-Command", "-EncodedCommand", "-enc", "-e"}, "deno": {"eval"}, "bun": {"-e", "--eval"},
		"lua": {"-e"}, "Rscript": {"-e"}, "osascript": {"-e"}, "awk": {}, "tclsh": {},
	}[lang]
	for i := 0; i < len(args); i++ {
		s := args[i].s
		for _, f := range codeFlags {
			if s == f && i+1 < len(args) {
				if strings.HasPrefix(strings.ToLower(f), "-enc") || strings.ToLower(f) == "-e" && (oneOf(lang, "pwsh", "powershell")) {
					a.add(CatDynamicEval, LevelHigh, "`"+name+" "+f+"` runs base64-encoded PowerShell, hiding what it does")
					return
				}
				a.codeArg(name, args[i+1], c)
				return
			}
		}
		if s == "-S" && lang == "php" {
			a.add(CatNetworkExposure, LevelMedium, "`php -S` serves files over the network")
			return
		}
		if s == "-m" && i+1 < len(args) {
			a.pythonModule(args[i+1].s, args[i+2:], c)
			return
		}
		if strings.HasPrefix(s, "-") && s != "-" {
			continue
		}
		if s == "-" {
			break
		}
		if lang == "deno" && (oneOf(s, "run", "x")) {
			continue
		}
		if hasPrefixAny(s, "http://", "https://", "npm:", "jsr:") {
			a.add(CatRemoteCode, LevelHigh, "`"+name+"` runs a script straight from "+quote(s))
			return
		}
		if b := baseName(args[i].s); frameworkScript(b) {
			a.rules(b, args[i+1:], c)
			return
		}
		a.scriptFile(name, args[i], args[i+1:], c)
		return
	}
	if c.stdin != stdinTerminal || oneOf(lang, "pwsh", "powershell") {
		a.stdinCode(name, c, true)
	}
}

func (a *assessor) codeArg(name string, w arg, c ctx) {
	switch {
	case w.fetch:
		a.add(CatRemoteCode, LevelCritical, "`"+name+"` runs code downloaded from the network ("+quote(w.s)+")")
	case w.decode:
		a.add(CatDynamicEval, LevelCritical, "`"+name+"` runs code decoded from base64/hex at run time")
	case w.subst:
		a.add(CatDynamicEval, LevelMedium, "`"+name+"` runs code produced by "+quote(w.inner))
	case !w.static && w.param != "" && strings.TrimSpace(w.s) == "$"+w.param:
		a.add(CatDynamicEval, LevelHigh, "`"+name+"` runs code taken from "+quote("$"+w.param))
	}
	c.depth++
	a.code(name, w.s, c)
}

func (a *assessor) pythonModule(mod string, args []arg, c ctx) {
	switch mod {
	case "pip", "pip3", "ensurepip", "pipx", "uv":
		a.rules("pip", args, c)
	case "http.server", "SimpleHTTPServer", "pyftpdlib", "smtpd", "http.server.cgi":
		a.add(CatNetworkExposure, LevelMedium, "`python -m "+mod+"` serves the current directory over the network (binds all interfaces by default)")
	case "alembic", "django", "flask":
		if mod == "django" {
			mod = "django-admin"
		}
		a.rules(mod, args, c)
	case "venv", "pytest", "build", "twine", "unittest", "mypy", "black", "ruff", "flake8", "pylint", "coverage", "tox", "nox", "isort", "json.tool", "compileall":
	default:
		a.add(CatOpaqueScript, LevelLow, "runs the Python module "+quote(mod)+", whose code is not visible here")
	}
}

// code scans program text of a scripting language for the operations that
// matter: downloads that are executed, reverse shells, shell-outs (which
// are parsed as shell again) and destructive file operations.
func (a *assessor) code(name, code string, c ctx) {
	l := strings.ToLower(code)
	has := func(ws ...string) bool {
		for _, w := range ws {
			if strings.Contains(l, w) {
				return true
			}
		}
		return false
	}
	net := has("urlopen", "requests.get", "urllib", "http.get(", "https.get(", "fetch(", "downloadstring", "invoke-webrequest", "iwr ", "net.webclient", "open-uri", "lwp::", "file_get_contents('http", "file_get_contents(\"http", "net::http", "irm ", "invoke-restmethod")
	run := has("exec(", "eval(", "iex", "invoke-expression", "system(", "subprocess", "popen", "child_process", "execsync")
	switch {
	case net && run:
		a.add(CatRemoteCode, LevelCritical, "`"+name+"` code downloads content and executes it")
	case has("socket", "fsockopen", "tcpsocket", "net.socket", "net.connect", "tcpclient") && has("subprocess", "pty.spawn", "dup2", "/bin/sh", "/bin/bash", "exec", "spawn(", "cmd.exe", "proc_open", "popen", "system("):
		a.add(CatRemoteCode, LevelCritical, "`"+name+"` code opens a network socket and attaches a shell to it (a reverse shell)")
	case has("b64decode", "frombase64string", "base64_decode", "atob(", "buffer.from(") && run:
		a.add(CatDynamicEval, LevelHigh, "`"+name+"` code decodes base64 and executes the result")
	case has("iex", "invoke-expression") && (oneOf(name, "pwsh", "powershell")):
		a.add(CatDynamicEval, LevelMedium, "PowerShell code uses `Invoke-Expression` on a constructed string")
	}
	a.codeDeletes(name, code, l)
	if has("format-volume", "clear-disk", "stop-computer", "restart-computer") {
		a.add(CatDiskDevice, LevelCritical, "PowerShell code formats disks or shuts the machine down")
	}
	switch {
	case has("drop_table", "dropdatabase", "drop database", "drop table", "truncate table", "objects.all().delete()", ".delete_all", ".destroy_all", "flushall", "flushdb"):
		a.add(CatDatabase, LevelCritical, "`"+name+"` code drops tables or deletes every record")
	case has(".delete()", "delete from", ".destroy(", "remove_column"):
		a.add(CatDatabase, LevelMedium, "`"+name+"` code deletes database records")
	}
	if has("requests.post", "requests.put", "urlopen(", "http.client", "fetch(", "net::http.post", "invoke-restmethod", "uploadfile") && has("open(", "os.environ", "process.env", "read_text", "readfilesync", "file.read", "get-content", "$env:") {
		a.add(CatExfiltration, LevelHigh, "`"+name+"` code reads local files or the environment and sends them over the network")
	}
	if has("pty.spawn") {
		a.add(CatDynamicEval, LevelMedium, "`"+name+"` code spawns an interactive shell on a pseudo-terminal")
	}
	if has("os.setuid(0", "setuid(0", "posix.setuid(0") {
		a.add(CatPrivilege, LevelHigh, "`"+name+"` code switches to the root user")
	}
	if has("print(os.environ)", "print(dict(os.environ", "console.log(process.env)", "p env", "print %env", "json.dumps(dict(os.environ", "get-childitem env:", "gci env:", "dir env:", "ls env:") {
		a.add(CatSecrets, LevelHigh, "`"+name+"` code prints every environment variable, including secrets")
	}
	for _, sh := range shellOuts(code) {
		cc := c
		cc.depth++
		a.script(sh, cc, false)
	}
}

// shellOuts extracts string literals passed to os.system, subprocess with
// a string, child_process.exec/execSync, Kernel#system and backticks.
func shellOuts(code string) []string {
	var out []string
	for _, m := range []string{"os.system(", "os.popen(", "subprocess.run(", "subprocess.call(", "subprocess.check_call(", "subprocess.check_output(", "subprocess.Popen(", "execSync(", "exec(", "system(", "shell_exec(", "passthru(", "spawnSync("} {
		rest := code
		for len(out) < 8 {
			i := strings.Index(rest, m)
			if i < 0 {
				break
			}
			rest = rest[i+len(m):]
			s := strings.TrimLeft(rest, " [")
			if s == "" || (s[0] != '"' && s[0] != '\'' && s[0] != '`') {
				continue
			}
			q := s[0]
			if j := strings.IndexByte(s[1:], q); j >= 0 && !slices.Contains(out, s[1:1+j]) {
				out = append(out, s[1:1+j])
			}
		}
	}
	return out
}

// evalCmd handles eval and source/. .
func (a *assessor) evalCmd(name string, args []arg, c ctx) {
	if len(args) == 0 {
		return
	}
	if name == "eval" {
		w := args[0]
		if len(args) > 1 {
			w = arg{s: joinArgs(args), static: true}
			for _, x := range args {
				w.static = w.static && x.static
				w.fetch, w.decode, w.subst = w.fetch || x.fetch, w.decode || x.decode, w.subst || x.subst
				if w.param == "" {
					w.param = x.param
				}
				if w.inner == "" {
					w.inner = x.inner
				}
			}
		}
		a.reparse(w, c, "`eval`")
		return
	}
	f := args[0]
	switch {
	case f.fetch:
		a.add(CatRemoteCode, LevelCritical, "`"+name+"` runs shell code downloaded from the network ("+quote(f.s)+")")
		a.add(CatDynamicEval, LevelHigh, "`"+name+"` evaluates code produced at run time")
	case f.decode:
		a.add(CatDynamicEval, LevelCritical, "`"+name+"` runs shell code decoded from base64/hex")
	case f.subst && !emitsShellEnv(f.inner):
		a.add(CatDynamicEval, LevelMedium, "`"+name+"` runs the output of "+quote(f.inner)+" as shell code")
	case oneOf(f.s, "/dev/stdin", "-"):
		a.stdinCode(name, c, true)
	case a.isDownloaded(f.s):
		a.add(CatRemoteCode, LevelHigh, "`"+name+"` runs "+quote(f.s)+", which was downloaded from the network earlier in this command")
	case f.subst:
		// source <(kubectl completion bash) and friends set up the shell.
	case !sourcedEnv(f.s):
		// source ./deploy.sh runs the file like bash deploy.sh, in this shell.
		a.scriptFile(name, f, args[1:], c)
	}
}

// sourcedEnv lists files sourced to set up a toolchain's environment,
// which CI jobs do all the time (venv activate, nvm.sh, cargo env).
func sourcedEnv(p string) bool {
	b := baseName(p)
	switch b {
	case "activate", "activate.fish", "nvm.sh", "env", ".env", "env.sh", "setup.bash", "setup.sh", "setup.zsh", ".bashrc", ".profile", ".bash_profile", ".zshrc", "bashrc", "sdkman-init.sh", "asdf.sh", "conda.sh", "oneapi-vars.sh", "setvars.sh", "vcvars.sh", "emsdk_env.sh", "rvm", "os-release", "lsb-release", "ros_entrypoint.sh":
		return true
	}
	return hasPrefixAny(p, "/opt/ros/", "/etc/profile") || strings.Contains(p, "/bin/activate") || strings.HasSuffix(p, "/env")
}

// codeDeletePath returns the literal path given to the first tree-deleting
// call in code (shutil.rmtree('/srv/app'), fs.rmSync("dist", …)), if any.
func codeDeletePath(code string) (string, bool) {
	return codeCallPath(code, "rmtree(", "rmSync(", "rmdirSync(", "rm_rf(", "removedirs(", "rm_r(", "remove_dir_all(")
}

// codeCallPath returns the literal first argument of the first call in
// code to one of calls.
func codeCallPath(code string, calls ...string) (string, bool) {
	for _, m := range calls {
		i := strings.Index(code, m)
		if i < 0 {
			continue
		}
		s := strings.TrimLeft(code[i+len(m):], " ")
		if s == "" || s[0] != '"' && s[0] != '\'' {
			return "", false
		}
		if j := strings.IndexByte(s[1:], s[0]); j >= 0 {
			return s[1 : 1+j], true
		}
	}
	return "", false
}

// codeDeletes reports tree and file deletions in interpreter code, rated by
// the literal path when there is one.
func (a *assessor) codeDeletes(name, code, l string) {
	has := func(ws ...string) bool { return containsAny(l, ws...) }
	if has("shutil.rmtree", "rmsync(", "rmdirsync(", "remove-item", "fileutils.rm_rf", "rmtree(", "os.removedirs") {
		lvl, what := LevelMedium, "directory trees"
		if p, ok := codeDeletePath(code); ok {
			t := staticTier(p)
			lvl, what = max(LevelLow, t.lvl), t.desc
		}
		if has("('/')", "(\"/\")", "expanduser('~')", "(\"~\")", "-recurse c:\\", "-recurse -force /", "os.environ") {
			lvl = LevelCritical
		}
		a.add(CatDestructiveFS, lvl, "`"+name+"` code deletes "+what)
	}
	if p, ok := codeCallPath(code, "os.remove(", "os.unlink(", "unlinkSync(", "Path.unlink(", "File.delete(", "FileUtils.rm(", "unlink("); ok {
		lvl := fileTier(arg{s: p, static: true}, staticTier(p)).lvl
		a.add(CatDestructiveFS, lvl, "`"+name+"` code deletes the file "+quote(p))
	} else if has("unlink glob", "unlink(glob", "os.remove(f)", "for f in glob") && has("unlink", "remove") {
		a.add(CatDestructiveFS, LevelMedium, "`"+name+"` code deletes every file a pattern matches")
	}
}
