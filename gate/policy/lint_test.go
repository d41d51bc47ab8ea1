package policy

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `version: 1
rules:
  - name: everything-kube
    if: { command: ["kubectl *", "terraform plan*", "timeout *", "*deploy*", "kubectl get *"] }
    then: allow
  - name: kube-prod
    if: { command: ["kubectl get *"] }
    require: { role: admin }
  - name: never
    if: { command: ["kubectl delete namespace *"] }
    then: deny
  - name: risky-allow
    if: { risk: high }
    then: allow
  - name: dup
    require: { role: admin }
    if: { command: ["kubectl get pods"] }
  - name: default
    require: { role: write }
`)
	want := []struct {
		line  int
		field string
		msg   string
	}{
		{4, "rules[0].if.command[0]", `allow pattern "kubectl *" lets "kubectl delete namespace prod" (critical risk) through`},
		{4, "rules[0].if.command[1]", `"plan*" in "terraform plan*" now means "plan" followed by anything`},
		{4, "rules[0].if.command[2]", `allow pattern "timeout *" can never match`},
		{4, "rules[0].if.command[3]", `"*deploy*" is matched against the command's name only`},
		{6, "rules[1]", `rule "kube-prod" never asks for approval of its commands: the earlier allow rule "everything-kube" (line 3)`},
		{9, "rules[2]", `this deny now wins over the earlier rule "everything-kube" (line 3)`},
		{12, "rules[3].if.risk", `rule "risky-allow" can never match`},
		{15, "rules[4]", `rule "dup" never asks for approval of its commands: the earlier allow rule "everything-kube"`},
		{15, "rules[4]", `rule "dup" can never match: the earlier rule "kube-prod" (line 6)`},
	}
	got := p.Lint()
	for _, w := range want {
		found := false
		for _, g := range got {
			if g.Line == w.line && g.Field == w.field && strings.Contains(g.Msg, w.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning at line %d %s containing %q; got:\n%v", w.line, w.field, w.msg, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d warnings, want %d: %v", len(got), len(want), got)
	}
	if w := examplePolicy(t).Lint(); len(w) != 1 || !strings.Contains(w[0].Msg, `"plan*" in "terraform plan*" now means`) {
		t.Errorf("testdata/example.yml: warnings %v, want only the one about terraform plan*", w)
	}
}
