package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/gate"
)

// Limits on a request's binding (the runner refuses more before it asks).
const (
	maxEnvVars  = 128
	maxEnvValue = 4 << 10
	maxFiles    = 32
	maxFilePath = 1024
)

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,255}$`)
	blobRE    = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// validateBinding checks the shape of the variables and files a request
// says its command reads and runs.
func validateBinding(b *gate.CreateRequest) error {
	if len(b.Env) > maxEnvVars {
		return errorf(Invalid, fmt.Sprintf("env: more than %d variables", maxEnvVars))
	}
	seen := map[string]bool{}
	for i, v := range b.Env {
		switch {
		case !envNameRE.MatchString(v.Name):
			return errorf(Invalid, fmt.Sprintf("env[%d].name is not a variable name", i))
		case seen[v.Name]:
			return errorf(Invalid, fmt.Sprintf("env[%d]: %s is listed twice", i, v.Name))
		case len(v.Value) > maxEnvValue:
			return errorf(Invalid, fmt.Sprintf("env[%d].value is longer than %d bytes", i, maxEnvValue))
		case v.Secret && (v.Value != "" || !hexSHA256.MatchString(v.Hash)):
			return errorf(Invalid, fmt.Sprintf("env[%d]: a secret carries only its hash (64 hex digits), never its value", i))
		case !v.Secret && v.Hash != "":
			return errorf(Invalid, fmt.Sprintf("env[%d].hash is only for secrets", i))
		case v.Unset && (v.Value != "" || v.Secret):
			return errorf(Invalid, fmt.Sprintf("env[%d]: an unset variable has no value", i))
		}
		seen[v.Name] = true
	}
	if len(b.Files) > maxFiles {
		return errorf(Invalid, fmt.Sprintf("files: more than %d files", maxFiles))
	}
	paths := map[string]bool{}
	for i := range b.Files {
		f := &b.Files[i]
		f.BlobSHA = strings.ToLower(f.BlobSHA)
		switch {
		case len(f.Path) == 0 || len(f.Path) > maxFilePath || !cleanRelPath(f.Path):
			return errorf(Invalid, fmt.Sprintf("files[%d].path must be a clean path relative to the workspace", i))
		case !blobRE.MatchString(f.BlobSHA):
			return errorf(Invalid, fmt.Sprintf("files[%d].blob_sha must be a git blob id (40 hex digits)", i))
		case paths[f.Path]:
			return errorf(Invalid, fmt.Sprintf("files[%d]: %s is listed twice", i, f.Path))
		case f.InRepo:
			return errorf(Invalid, fmt.Sprintf("files[%d].in_repo is the App's to set", i))
		}
		paths[f.Path] = true
	}
	return nil
}

func cleanRelPath(p string) bool {
	return !strings.HasPrefix(p, "/") && path.Clean(p) == p && p != "." && !strings.HasPrefix(p, "../") && p != ".." &&
		!strings.ContainsAny(p, "\\\x00\n\r")
}

// verifyFiles checks each file the command executes against the run's
// commit on GitHub (the token's sha claim, never the body's word): a file
// the repository has at that commit must have the same blob on the runner,
// or an earlier step changed it after checkout and the request is refused.
// A file the repository does not have (generated, downloaded) stays bound
// by its blob id alone, and reviewers are told they cannot read it.
func (l *Lifecycle) verifyFiles(ctx context.Context, repo, commit string, files []gate.File) error {
	for i := range files {
		f := &files[i]
		blob, err := l.gh.FileSHA(ctx, repo, f.Path, commit)
		switch {
		case errors.Is(err, ghapi.ErrNotFound):
			f.InRepo = false
		case err != nil:
			l.logger(ctx).WarnContext(ctx, "reading a file the command executes", "repo", repo, "path", f.Path, "err", err)
			return errorf(Unavailable, "cannot read "+f.Path+" at the run's commit from GitHub, retry later")
		case blob != f.BlobSHA:
			return errorf(Conflict, fmt.Sprintf("%s on the runner (blob %s) differs from the run's commit %s (blob %s): it was changed after checkout, e.g. by an earlier step. stepgate runs only what reviewers can read; refusing",
				f.Path, shortSHA(f.BlobSHA), shortSHA(commit), shortSHA(blob)))
		default:
			f.InRepo = true
		}
	}
	return nil
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
