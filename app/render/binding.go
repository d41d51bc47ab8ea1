package render

import (
	"net/url"
	"strings"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

// bindingSection shows what else the approval covers (DESIGN.md invariant
// 4), wherever an approval can be given: the shell template (custom ones
// above all: they run before the script), the working directory, the
// values of the variables the command reads, and the repository files it
// executes, linked at the run's commit.
func bindingSection(g Gate) string {
	r := g.Request
	var b strings.Builder
	shell := r.Shell
	if sh, err := gate.ResolveShell(r.Shell); err == nil {
		shell = sh.Template
		if sh.Custom {
			shell += " (custom shell template)"
		}
	}
	dir := r.WorkingDirectory
	if dir == "" {
		dir = "(the workspace)"
	}
	b.WriteString("**Runs as:** " + redact.InlineCode(shell, 200) + " in " + redact.InlineCode(dir, 200) + "\n")
	if len(r.Env) > 0 {
		b.WriteString("**Variables it reads:**\n")
		for _, v := range r.Env {
			b.WriteString("- " + redact.InlineCode("$"+v.Name, 80) + " = " + envValue(v) + "\n")
		}
	}
	if len(r.Files) > 0 {
		b.WriteString("**Files it runs:**\n")
		for _, f := range r.Files {
			b.WriteString("- " + fileLine(g, f) + "\n")
		}
	}
	return b.String() + "\n"
}

func envValue(v gate.EnvVar) string {
	switch {
	case v.Unset:
		return "(unset)"
	case v.Secret:
		return "secret (hash " + redact.InlineCode(shortHex(v.Hash), 20) + ")"
	case v.Value == "":
		return "(empty)"
	}
	return redact.InlineCode(redact.String(v.Value), 200)
}

// fileLine links a file at the run's commit; a file the repository does not
// have there is flagged: reviewers cannot read what it does.
func fileLine(g Gate, f gate.File) string {
	name := redact.InlineCode(f.Path, 200)
	blob := " (blob " + redact.InlineCode(shortHex(f.BlobSHA), 20) + ")"
	if !f.InRepo {
		return name + blob + " — **not in the repository at this commit**: generated or downloaded, its content cannot be reviewed here"
	}
	commit := safeHex(strings.ToLower(g.Request.Commit))
	if g.WebURL == "" || commit == "" || !teamRE.MatchString(g.Request.Repo) {
		return name + blob
	}
	u := strings.TrimRight(g.WebURL, "/") + "/" + g.Request.Repo + "/blob/" + commit + "/" + escapeURLPath(f.Path)
	return name + blob + " — [view at " + commit[:min(7, len(commit))] + "](" + u + ")"
}

func escapeURLPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func shortHex(s string) string {
	s = safeHex(strings.ToLower(s))
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
