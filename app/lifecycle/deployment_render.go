package lifecycle

import (
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

// A deployment request is rendered like a step's (render.CheckRun and
// render.Comment), with a section in front that says which job waits and
// what the App found about its workflow files, and wording for a job.

// decorateDeployment adapts the check run of a deployment request.
func decorateDeployment(cr *ghapi.CheckRun, r *gate.Request) {
	if r.Source != gate.SourceDeployment {
		return
	}
	cr.Title = truncate("Deployment to "+plainText(r.Environment)+": "+render.Title(r), 200)
	cr.Summary = deploymentSection(r) + deploymentWording(cr.Summary)
	cr.Text = deploymentWording(cr.Text)
	for i := range cr.Actions {
		switch cr.Actions[i].Identifier {
		case ActionApprove:
			cr.Actions[i].Description = "Let this job deploy"
		case ActionReject:
			cr.Actions[i].Description = "Stop this deployment"
		case ActionRemember:
			cr.Actions[i].Description = "Approve; same workflow passes next time"
		}
	}
}

// commentBody renders the PR or commit comment of any request.
func (l *Lifecycle) commentBody(r *gate.Request) string {
	body := render.Comment(l.renderGate(r, ""))
	if r.Source == gate.SourceDeployment {
		body = "### stepgate: job-level gate\n\n" + deploymentSection(r) + deploymentWording(body)
	}
	return body
}

// deploymentWording adapts a step's rendering to a job: it asks for a
// deployment, and nothing runs under a shell or is bound to a command hash.
// (Lines render does not write are left alone.)
func deploymentWording(md string) string {
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

func deploymentSection(r *gate.Request) string {
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
		fmt.Fprintf(&b, "- %s at %s: %s\n", redact.InlineCode(f.Path, 200), redact.InlineCode(short(f.Ref), 12), state)
	}
	if d.Truncated {
		fmt.Fprintf(&b, "- more than %d workflow files: the rest were not compared (counted as changed)\n", maxWorkflowFiles)
	}
	for _, x := range d.External {
		b.WriteString("- reusable workflow of another repository, not compared: " + redact.InlineCode(x, 200) + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// plainText keeps a conservative character set, for titles.
func plainText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" ,.-_/", r):
			return r
		}
		return -1
	}, s)
}
