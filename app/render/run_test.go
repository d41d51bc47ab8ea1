package render

import (
	"strings"
	"testing"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

// The run line names workflow, ref, actor and PR author without letting
// their text (a branch or workflow name is anyone's choice) break out or
// ping anyone.
func TestRunLineNamesTheRunSafely(t *testing.T) {
	r := request(gate.StatusPending, "./deploy.sh")
	r.Workflow = "Deploy <img src=x onerror=alert(1)> @octocat"
	r.Ref = "refs/heads/`**x**`"
	r.Actor, r.PRNumber, r.PRAuthor = "dev", 7, "pat"
	r.Environment, r.EnvironmentSource = "production", "input"
	for name, out := range map[string]string{"comment": Comment(Gate{Request: r}), "check run": CheckRun(Gate{Request: r}).Summary} {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "**Run:**") {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("%s has no run line:\n%s", name, out)
		}
		for _, want := range []string{"Deploy", "refs/heads/", "`dev`", "pull request #7 by `pat`"} {
			if !strings.Contains(line, want) {
				t.Errorf("%s run line %q lacks %q", name, line, want)
			}
		}
		// The names sit in redact's code spans; outside them nothing of
		// their text survives as markup.
		rest := line
		for _, span := range []string{redact.InlineCode(r.Workflow, 100), redact.InlineCode(r.Ref, 100)} {
			if !strings.Contains(rest, span) {
				t.Errorf("%s run line %q lacks the code span %q", name, line, span)
			}
			rest = strings.ReplaceAll(rest, span, "")
		}
		if strings.Contains(rest, "<img") || strings.Contains(rest, "@octocat") || strings.Contains(rest, "**x**") {
			t.Errorf("%s run line lets markup out: %q", name, line)
		}
		if !strings.Contains(out, "from the action input") {
			t.Errorf("%s does not say the environment came from the input", name)
		}
	}
}
