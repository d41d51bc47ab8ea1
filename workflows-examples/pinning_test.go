package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// usesLine is one `uses:` (a step's or a job's) with its trailing comment.
var usesLine = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(#.*)?$`)

// pinnedRef is owner/repo[/path]@<full commit SHA>.
var pinnedRef = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$`)

// ownAction are the refs adopters write for stepgate itself: this
// repository cannot pin its own future release commit, and the examples
// tell adopters to pin it by SHA once they copy them (README "Pinning").
var ownAction = map[string]bool{actionRef: true, "stepgate/stepgate/run@v1": true}

// TestEveryActionIsPinnedBySHA: a tag like @v4 can be moved by whoever
// controls the action's repository; a full commit SHA cannot. Every `uses:`
// in the project's own workflows, its actions and the examples names a
// commit, with the version it is in a comment for Dependabot and readers.
func TestEveryActionIsPinnedBySHA(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{
		"../.github/workflows/*.y*ml",
		"../action.yml",
		"../run/action.yml",
		"*/.github/workflows/*.y*ml",
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 8 {
		t.Fatalf("found only %d workflow files: %v", len(files), files)
	}
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			m := usesLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			ref, comment := m[1], m[2]
			checked++
			switch {
			case strings.HasPrefix(ref, "./"):
				// an action of the same repository, at the same commit
			case strings.HasPrefix(ref, "docker://"):
				if !strings.Contains(ref, "@sha256:") {
					t.Errorf("%s:%d: %s: pin the image by digest (docker://IMAGE@sha256:…)", f, i+1, ref)
				}
			case ownAction[ref] && !strings.HasPrefix(f, "../"):
				// the examples' reference to stepgate itself
			case !pinnedRef.MatchString(ref):
				t.Errorf("%s:%d: uses %s: pin it by full commit SHA (owner/repo@<40 hex> # vX.Y.Z)", f, i+1, ref)
			case !regexp.MustCompile(`^#\s*v\d+(\.\d+)*`).MatchString(comment):
				t.Errorf("%s:%d: uses %s: add the version after the SHA as a comment (# vX.Y.Z)", f, i+1, ref)
			}
		}
	}
	if checked < 20 {
		t.Errorf("checked only %d uses: lines; the patterns above no longer find the workflows", checked)
	}
}
