package hostile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/benchrig/rigtest"
)

func bomb() string {
	var b strings.Builder
	b.WriteString("version: 1\nx0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "x%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("rules:\n  - name: all\n    if: { command: *a11 }\n    then: allow\n")
	return b.String()
}

func manyRules(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: r%d\n    if: { command: [\"tool%d *\"] }\n    then: allow\n", i, i)
	}
	b.WriteString("  - name: last\n    require: { users: [bob] }\n")
	return b.String()
}

func deepRequire(depth int) string {
	return "version: 1\nrules:\n  - name: deep\n    require: " + strings.Repeat("{ all_of: [ ", depth) + "{ users: [bob] }" + strings.Repeat(" ] }", depth) + "\n"
}

// A repository's default-branch policy file is hostile: not YAML, the wrong
// types, an unknown version, a YAML alias bomb, 5 MB, 20,000 rules,
// requirements nested 5,000 deep. The gate must fail closed — nothing is
// allowed by a policy the App could not read — with a message that names
// the policy problem, quickly; other repositories are unaffected.
func TestHostilePolicyFilesFailClosed(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	app := rigtest.StartApp(t, ctx, w.AppConfig("bolt:"+t.TempDir()+"/stepgate.db"))
	api := benchrig.NewAPI(app.URL)
	for i, tc := range []struct{ name, policy string }{
		{"not YAML", "version: 1\nrules: [\n  - name: x\n"},
		{"wrong types", "version: 1\nrules:\n  - name: x\n    if: { command: 5 }\n    then: maybe\n"},
		{"unknown version", "version: 99\nrules: []\n"},
		{"alias bomb", bomb()},
		{"5 MB", "version: 1\n# " + strings.Repeat("x", 5<<20) + "\nrules: []\n"},
		{"20,000 rules", manyRules(20000)},
		{"requirements nested 5,000 deep", deepRequire(5000)},
		{"NUL bytes", "version: 1\nrules:\n  - name: \"a\x00b\"\n    then: allow\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("acme/policy-%d", i)
			id, err := w.AddRepo(name, tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := w.TokenFor(name, id, int64(10+i), app.URL)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			code, body, err := api.Raw(ctx, "POST", "/api/v1/requests", tok, "application/json", createJSON(t, "tool1 run"))
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d in %s: %s", tc.name, code, took.Round(time.Millisecond), truncate(body))
			if took > 30*time.Second { // generous: -race on a loaded 2-core CI machine
				t.Errorf("the App took %s to answer", took)
			}
			if code >= 500 && code != 503 {
				t.Errorf("status %d: a hostile policy must give a clear answer, not a server error", code)
			}
			if code < 300 {
				v := decodeView(t, body)
				if v.Status == gate.StatusAllowed || v.Status == gate.StatusApproved {
					t.Errorf("status %q: a policy the App could not use must not let the command through", v.Status)
				}
				if tc.name != "20,000 rules" && !strings.Contains(strings.ToLower(v.Reason+v.Requirement+v.Rule), "policy") {
					t.Errorf("the answer does not name the policy problem: rule %q, requirement %q, reason %q", v.Rule, v.Requirement, v.Reason)
				}
			}
		})
	}
	stillServes(t, ctx, w, app, 2)
}
