package redact

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestGitleaksRulesLoad(t *testing.T) {
	t.Parallel()
	c, err := gitleaksRules()
	if err != nil {
		t.Fatalf("embedded gitleaks %s rules: %v", GitleaksVersion, err)
	}
	if len(c.Rules) < 200 {
		t.Errorf("only %d gitleaks rules apply to commands, want the full set (>200)", len(c.Rules))
	}
	for i := range c.Rules {
		if err := c.Rules[i].compile(); err != nil {
			t.Errorf("rule %s: %v", c.Rules[i].ID, err)
		}
	}
}

type gitleaksExample struct {
	Rule string   `json:"rule"`
	TPs  []string `json:"tps"`
	FPs  []string `json:"fps"`
}

func loadGitleaksExamples(t *testing.T) []gitleaksExample {
	t.Helper()
	b, err := os.ReadFile("gitleaks/examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex []gitleaksExample
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

func ruleByID(t *testing.T, id string) (*glConfig, *glRule) {
	c, err := gitleaksRules()
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Rules {
		if c.Rules[i].ID == id {
			return c, &c.Rules[i]
		}
	}
	return c, nil
}

// The rule set's own examples (gitleaks' true and false positives for each
// rule): each true positive is found by its rule and masked by String; no
// false positive is found by its rule.
func TestGitleaksOwnExamples(t *testing.T) {
	t.Parallel()
	var tps, fps int
	for _, ex := range loadGitleaksExamples(t) {
		c, r := ruleByID(t, ex.Rule)
		if r == nil {
			continue // a path rule, not applied to commands
		}
		for _, tp := range ex.TPs {
			tps++
			if len(r.find(c, tp, strings.ToLower(tp))) == 0 {
				t.Errorf("rule %s misses its true positive %q", ex.Rule, tp)
				continue
			}
			if got := String(tp); got == tp {
				t.Errorf("String(%q) masked nothing (rule %s)", tp, ex.Rule)
			}
		}
		for _, fp := range ex.FPs {
			fps++
			if got := r.find(c, fp, strings.ToLower(fp)); len(got) != 0 {
				t.Errorf("rule %s finds its false positive %q at %v", ex.Rule, fp, got)
			}
		}
	}
	if tps < 200 || fps < 200 {
		t.Errorf("only %d true / %d false positives checked", tps, fps)
	}
}

// The same examples inside a command (a quoted here-document body, one
// literal) are masked by Command too.
func TestGitleaksExamplesInsideCommands(t *testing.T) {
	t.Parallel()
	n := 0
	for _, ex := range loadGitleaksExamples(t) {
		if _, r := ruleByID(t, ex.Rule); r == nil {
			continue
		}
		for _, tp := range ex.TPs {
			if strings.Contains(tp, "SECRETS_EOF") {
				continue
			}
			in := "cat <<'SECRETS_EOF' > config\n" + tp + "\nSECRETS_EOF\n"
			got, err := Command(in, nil)
			if err != nil {
				t.Errorf("rule %s: Command: %v", ex.Rule, err)
				continue
			}
			n++
			if got == in {
				t.Errorf("rule %s: Command masked nothing in %q", ex.Rule, tp)
			}
		}
	}
	if n < 200 {
		t.Errorf("only %d examples checked", n)
	}
}
