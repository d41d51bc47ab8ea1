package render

import (
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

// A job-level gate's request is rendered like a step's (CheckRun and
// Comment), with a section in front that says which job waits and what the
// App found about its workflow files, and wording for a job.

// DeploymentWording adapts a step's rendering to a job: it asks for a
// deployment, and nothing runs under a shell or is bound to a command hash.
// (Lines render does not write are left alone.)
func DeploymentWording(md string) string {
	md = strings.Replace(md, "**Approval needed** for a command", "**Approval needed** for a deployment", 1)
	lines := strings.Split(md, "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(l, "**Runs as:** ") || strings.HasPrefix(l, "| Command SHA-256 |") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// DeploymentSection is what a job-level gate's check run and comment say
// first: which job waits for which environment, and what the App found
// about the run's workflow files (at most maxFiles were compared).
func DeploymentSection(r *gate.Request, maxFiles int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Job-level gate:** a job of run %d (attempt %d) waits to deploy to environment %s. GitHub holds the job, and the environment's secrets, until stepgate answers.\n\n",
		r.RunID, r.RunAttempt, redact.InlineCode(r.Environment, 100))
	if r.Spec == nil || r.Spec.Deployment == nil {
		return b.String()
	}
	d := r.Spec.Deployment
	b.WriteString("**Workflow:** " + redact.InlineCode(d.Workflow, 200))
	if d.Changed {
		b.WriteString(" — **differs from the default branch** (reusable workflows of this repository included)")
		if d.CompareURL != "" {
			b.WriteString(": [compare with the default branch](" + d.CompareURL + ")")
		}
	} else {
		b.WriteString(" — matches the default branch (reusable workflows of this repository included)")
	}
	b.WriteString("\n")
	for _, f := range d.Files {
		state := "same as the default branch"
		switch {
		case f.HeadBlob == "":
			state = "missing at the run's commit"
		case f.DefaultBlob == "":
			state = "not on the default branch"
		case f.Changed():
			state = "changed"
		}
		fmt.Fprintf(&b, "- %s at %s: %s\n", redact.InlineCode(f.Path, 200), redact.InlineCode(shortHex(f.Ref), 12), state)
	}
	if d.Truncated {
		fmt.Fprintf(&b, "- more than %d workflow files: the rest were not compared (counted as changed)\n", maxFiles)
	}
	for _, x := range d.External {
		b.WriteString("- reusable workflow of another repository, not compared: " + redact.InlineCode(x, 200) + "\n")
	}
	b.WriteString("\n")
	return b.String()
}
