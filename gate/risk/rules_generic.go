package risk

import (
	"strings"
)

// generic is the fallback behind the registry: a CLI without rules of its
// own that is told to delete, destroy, purge … something, or is forced past
// its confirmations, is rated by those words alone.
func (a *assessor) generic(name string, args []arg) {
	if dataCommand(name) {
		return
	}
	verb := ""
	for i, x := range positionals(args) {
		if i >= 3 {
			break
		}
		if v := destructiveWord(x); v != "" {
			verb = v
			break
		}
	}
	for _, x := range args {
		if verb != "" {
			break
		}
		if f, ok := strings.CutPrefix(x.s, "--"); ok && x.static {
			f, _, _ = strings.Cut(f, "=")
			if destructiveFlag(f) {
				verb = x.s
			}
		}
	}
	force := forcing(args)
	switch {
	case verb != "" && force != "":
		a.add(CatGeneric, LevelHigh, "`"+name+" "+verb+" "+force+"` deletes or destroys something and skips the confirmation")
	case verb != "":
		a.add(CatGeneric, LevelMedium, "`"+name+" "+verb+"` deletes or destroys something; this CLI has no specific rules, so the verb alone decides")
	case oneOf(force, "--yes-i-really-mean-it", "--yes-i-really-really-mean-it"):
		a.add(CatGeneric, LevelHigh, "`"+name+" "+force+"` overrides a safety check the tool insists on")
	case hasFlag(args, "--force", "-Force"):
		a.add(CatGeneric, LevelLow, "`"+name+" --force` skips the tool's own safety checks")
	}
}

// destructiveVerbs are the words CLIs use for operations that lose data.
var destructiveVerbs = map[string]bool{
	"delete": true, "destroy": true, "purge": true, "prune": true, "drop": true, "wipe": true, "forget": true,
	"revoke": true, "terminate": true, "remove": true, "rm": true, "erase": true, "nuke": true, "obliterate": true,
	"truncate": true, "flush": true, "flushall": true, "flushdb": true, "deregister": true, "decommission": true,
	"teardown": true, "shred": true, "expunge": true, "unpublish": true, "zap": true, "evict": true, "kill": true,
	"del": true, "rmi": true, "rmr": true, "deleteall": true, "dropdb": true, "reset": true, "uninstall": true,
}

// destructiveWord returns x when it is a subcommand word naming a
// destructive operation (delete, delete-stack, force_delete …).
func destructiveWord(x arg) string {
	if !x.static || x.s == "" || strings.ContainsAny(x.s, "/.=@ ") || len(x.s) > 40 {
		return ""
	}
	l := strings.ToLower(x.s)
	if destructiveVerbs[l] {
		if oneOf(l, "reset", "uninstall", "kill") {
			return ""
		}
		return x.s
	}
	for _, part := range strings.FieldsFunc(l, func(r rune) bool { return r == '-' || r == '_' || r == ':' }) {
		switch part {
		case "delete", "destroy", "purge", "drop", "wipe", "terminate", "nuke", "truncate", "flush", "obliterate", "expunge", "deregister", "decommission", "teardown", "remove":
			return x.s
		}
	}
	return ""
}

func destructiveFlag(f string) bool {
	switch f {
	case "delete", "destroy", "purge", "wipe", "drop", "delete-all", "remove-all", "force-delete", "delete-data", "purge-all", "drop-all", "prune", "delete-volumes", "delete-snapshots", "hard-delete", "permanent", "permanently":
		return true
	}
	return false
}

// forcing returns the first flag that skips a tool's confirmation or widens
// an operation to everything.
func forcing(args []arg) string {
	for _, x := range args {
		s, _, _ := strings.Cut(x.s, "=")
		switch s {
		case "--force", "--all", "-y", "--yes", "--yes-i-really-mean-it", "--yes-i-really-really-mean-it", "--no-confirm", "--confirm", "--noconfirm",
			"--skip-confirmation", "--non-interactive", "--auto-approve", "-auto-approve", "--quiet-yes", "--assume-yes", "--no-prompt", "--force-delete",
			"--recursive", "-r", "-R", "--cascade", "--everything", "--all-namespaces", "-A", "--wait=false", "-Force", "-Confirm:$false":
			return s
		}
	}
	if hasShort(args, 'f') && hasShort(args, 'r') {
		return "-rf"
	}
	return ""
}

// dataCommand lists commands whose arguments are data, text or patterns,
// never subcommands: "echo delete" and "grep -r drop" do nothing of the kind.
func dataCommand(name string) bool {
	switch name {
	case "grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "head", "tail", "less", "more", "jq", "yq", "test", "[", "[[", "true", "false",
		"sleep", "cd", "pushd", "popd", "export", "read", "man", "which", "type", "tr", "cut", "sort", "uniq", "wc", "ls", "mkdir", "touch",
		"stat", "file", "basename", "dirname", "date", "seq", "logger", "diff", "cmp", "comm", "md5sum", "sha256sum", "sha1sum", "base64",
		"tar", "zip", "unzip", "gzip", "gunzip", "xz", "bzip2", "zstd", "7z", "column", "fold", "nl", "tac", "rev", "paste", "join", "expr",
		"let", "local", "declare", "readonly", "return", "exit", "shift", "wait", "trap", "alias", "unalias", "hash", "getopts", "mktemp",
		"realpath", "readlink", "tput", "stty", "clear", "whoami", "id", "uname", "hostname", "pwd", "du", "df", "free", "uptime", "ps", "top",
		"htop", "lsof", "netstat", "ss", "env", "nproc", "tree", "bat", "batcat", "xxd", "od", "hexdump", "strings", "iconv", "dos2unix",
		"envsubst", "shellcheck", "shfmt", "yamllint", "hadolint", "actionlint", "markdownlint", "prettier", "eslint", "black", "ruff", "flake8",
		"mypy", "pylint", "gofmt", "goimports", "golangci-lint", "staticcheck", "rustfmt", "clippy", "tsc", "jest", "pytest", "mocha", "vitest",
		"cowsay", "figlet", "say", "notify-send", "wall", "write", "mail", "sendmail", "xmllint", "xmlstarlet", "csvtool", "mlr", "sqlfluff",
		"git-cliff", "commitlint", "semantic-release", "conventional-changelog", "gh-markdown", "pandoc", "asciidoctor", "hugo", "jekyll",
		"mkdocs", "sphinx-build", "doxygen", "codespell", "typos", "cspell", "vale", "woke", "alex", "trivy", "grype", "syft", "cosign",
		"gitleaks", "trufflehog", "detect-secrets", "semgrep", "bandit", "checkov", "tfsec", "tflint", "kubeval", "kubeconform", "conftest",
		"opa", "kube-linter", "pluto", "polaris", "dive", "hyperfine", "time", "watch", "timeout", "nice", "nohup", "tee", "printf", "echo":
		return true
	}
	return false
}
