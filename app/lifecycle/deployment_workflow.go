package lifecycle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"regexp"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/gate"
)

// workflow_changed: a PR that edits a deploy workflow to drop its gates
// must not reach the environment unseen. The App compares, by blob SHA
// (contents API), the run's workflow file at the run's head commit with the
// default branch's copy, and does the same for every reusable workflow of
// the same repository that GitHub lists in the run's referenced_workflows
// (at the commit GitHub says it took each from). Reusable workflows of
// other repositories are listed but not compared: there is no default
// branch of ours to compare them with, and the calling file pins them, so
// changing which one is called changes a compared file. A file missing on
// either side counts as changed, as does a run whose files cannot all be
// compared (more than maxWorkflowFiles).

// maxWorkflowFiles bounds the comparisons per run (GitHub itself limits
// the reusable workflows one run may call).
const maxWorkflowFiles = 50

var branchNameRE = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,255}$`)

// workflowPath turns the run's path into a path in repo: GitHub may report
// it as "owner/repo/.github/workflows/x.yml@ref".
func workflowPath(p, repo string) string {
	if i := strings.LastIndexByte(p, '@'); i >= 0 {
		p = p[:i]
	}
	if len(p) > len(repo)+1 && strings.EqualFold(p[:len(repo)+1], repo+"/") {
		p = p[len(repo)+1:]
	}
	return strings.TrimPrefix(p, "/")
}

// splitReferenced splits "owner/repo/path@ref" into the repository and
// the path in it.
func splitReferenced(p string) (repo, path string, ok bool) {
	if i := strings.LastIndexByte(p, '@'); i >= 0 {
		p = p[:i]
	}
	parts := strings.SplitN(p, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0] + "/" + parts[1], parts[2], true
}

// checkWorkflow compares the run's workflow files with the default branch.
func (l *Lifecycle) checkWorkflow(ctx context.Context, repo string, run ghapi.WorkflowRun, defaultBranch, htmlURL string) (*gate.DeploymentFacts, error) {
	if !hexSHA.MatchString(run.HeadSHA) {
		return nil, fmt.Errorf("run %d has no valid head SHA", run.ID)
	}
	info := &gate.DeploymentFacts{Workflow: workflowPath(run.Path, repo)}
	type want struct{ path, ref string }
	wants := []want{{info.Workflow, run.HeadSHA}}
	seen := map[want]bool{wants[0]: true}
	for _, w := range run.Referenced {
		other, path, ok := splitReferenced(w.Path)
		switch {
		case !ok:
			info.External = append(info.External, w.Path)
			continue
		case !strings.EqualFold(other, repo):
			info.External = append(info.External, fmt.Sprintf("%s (commit %s)", w.Path, w.SHA))
			continue
		}
		ref := w.SHA
		if !hexSHA.MatchString(ref) {
			ref = run.HeadSHA // a local call (./.github/workflows/x.yml) comes from the run's commit
		}
		k := want{path, strings.ToLower(ref)}
		if !seen[k] {
			seen[k] = true
			wants = append(wants, k)
		}
	}
	if len(wants) > maxWorkflowFiles {
		wants, info.Truncated = wants[:maxWorkflowFiles], true
	}
	for _, w := range wants {
		f := gate.WorkflowFile{Path: w.path, Ref: w.ref}
		head, err := l.gh.FileSHA(ctx, repo, w.path, w.ref)
		l.countGitHub("file_sha", err)
		if err != nil && !errors.Is(err, ghapi.ErrNotFound) {
			return nil, fmt.Errorf("reading %s at %s: %w", w.path, w.ref, err)
		}
		f.HeadBlob = head
		_, def, err := l.read.ghFile(ctx, repo, w.path)
		if err != nil && !errors.Is(err, ghapi.ErrNotFound) {
			return nil, fmt.Errorf("reading %s from the default branch: %w", w.path, err)
		}
		if err == nil {
			f.DefaultBlob = def
		}
		info.Changed = info.Changed || f.Changed()
		info.Files = append(info.Files, f)
	}
	info.Changed = info.Changed || info.Truncated
	if info.Changed {
		info.CompareURL = compareURL(htmlURL, defaultBranch, run.HeadSHA)
	}
	return info, nil
}

// compareURL is GitHub's page showing what the run's commit changes
// against the default branch, built only from parts that cannot break the
// markdown link it is shown in.
func compareURL(htmlURL, defaultBranch, sha string) string {
	u, err := neturl.Parse(htmlURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		strings.ContainsAny(htmlURL, " ()<>[]\"'`\\") || !branchNameRE.MatchString(defaultBranch) || !hexSHA.MatchString(sha) {
		return ""
	}
	return strings.TrimRight(htmlURL, "/") + "/compare/" + defaultBranch + "..." + sha
}

// risk is how a deployment is shown: medium, or high when a workflow file
// differs from the default branch's.
func deploymentRisk(d *gate.DeploymentFacts) (string, int, []string) {
	var reasons []string
	for _, f := range d.Files {
		switch {
		case f.HeadBlob == "":
			reasons = append(reasons, "workflow file "+f.Path+" is missing at the run's commit")
		case f.DefaultBlob == "":
			reasons = append(reasons, "workflow file "+f.Path+" is not on the default branch")
		case f.Changed():
			reasons = append(reasons, "workflow file "+f.Path+" differs from the default branch's copy")
		}
	}
	if d.Truncated {
		reasons = append(reasons, fmt.Sprintf("the run calls more than %d workflows; the rest were not compared", maxWorkflowFiles))
	}
	for _, x := range d.External {
		reasons = append(reasons, "calls a reusable workflow of another repository (not compared): "+x)
	}
	if d.Changed {
		return "high", 70, reasons
	}
	return "medium", 40, append([]string{"deployment to a protected environment; the workflow files match the default branch"}, reasons...)
}

// rememberKey is the allowlist key of a remembered deployment: the same
// environment, branch and workflow, the workflow meaning its files' exact
// contents, so an edited workflow needs a fresh approval.
func deploymentRememberKey(d *gate.DeploymentFacts, env, branch string) string {
	h := sha256.New()
	for _, s := range []string{"stepgate/deployment/v1", strings.ToLower(env), branch, d.Workflow} {
		h.Write([]byte(s + "\x00"))
	}
	for _, f := range d.Files {
		h.Write([]byte(f.Path + "\x00" + f.HeadBlob + "\x00"))
	}
	for _, x := range d.External {
		h.Write([]byte(x + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))
}
