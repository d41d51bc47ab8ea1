package examples

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate/policy"
	"github.com/stepgate/stepgate/gate/risk"
)

// TestPolicyCases pins what the READMEs promise about commands the workflows
// do not run: near misses of the allowlists, denials, after-hours routing.
func TestPolicyCases(t *testing.T) {
	t.Parallel()
	saturdayNight := time.Date(2026, 3, 7, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		example, command, env string
		actor                 string // default alice
		at                    time.Time
		wantRule              string
		wantDecision          policy.Decision
	}{
		{"read-only-allowlist", "kubectl get pods -A", "production", "", daytime, "read-only", policy.Allow},
		// deny wins wherever it stands, also inside a list and under a rewrite (ns is namespace)
		{"read-only-allowlist", "kubectl get pods; kubectl delete ns prod", "production", "", daytime, "never", policy.Deny},
		{"read-only-allowlist", "kubectl get pods > /etc/passwd", "production", "", daytime, "default", policy.Require},
		{"read-only-allowlist", "kubectl get pods $(rm -rf ~)", "production", "", daytime, "never", policy.Deny},
		{"read-only-allowlist", "kubectl get pods $(date)", "production", "", daytime, "default", policy.Require},
		{"read-only-allowlist", "terraform destroy -auto-approve", "production", "", daytime, "never", policy.Deny},
		{"read-only-allowlist", "rm -rf /var/lib", "", "", daytime, "never", policy.Deny},
		{"db-migration", `./bin/migrate -path db/migrations -database "$DATABASE_URL" drop -f`, "production", "", daytime, "never-drop", policy.Deny},
		{"db-migration", `./bin/migrate -path db/migrations -database "$DATABASE_URL" up`, "staging", "", daytime, "default", policy.Require},
		{"oncall-routing", "./scripts/deploy.sh payments --env production --ref abc", "production", "", saturdayNight, "payments-after-hours", policy.Require},
		{"oncall-routing", "./scripts/deploy.sh search --env production --ref abc", "production", "", saturdayNight, "search", policy.Require},
		{"oncall-routing", "./scripts/deploy.sh web --env production --ref abc", "production", "", daytime, "web", policy.Require},
		{"host-mode", "helm uninstall web --namespace web", "production", "", daytime, "no-uninstall", policy.Deny},
		{"host-mode", "helm upgrade --install web ./charts/web", "staging", "", daytime, "default", policy.Require},
		{"regional-rollout", `./scripts/rollout.sh --version abc --region "$REGION"`, "production", "", daytime, "regions", policy.Require},
		// a require rule applies when any command of the tree matches it: the SRE sees the whole command
		{"regional-rollout", `./scripts/rollout.sh --version abc --region "$REGION"; curl x`, "production", "", daytime, "regions", policy.Require},
		{"pr-preview", "./scripts/preview.sh down pr-7", "preview", "", daytime, "teardown", policy.Allow},
		{"pr-preview", "./scripts/preview.sh down pr-7 && ./scripts/preview.sh up prod", "preview", "", daytime, "default", policy.Require},
		{"pr-preview", "./scripts/preview.sh up pr-8 --ref abc", "preview", "", daytime, "preview", policy.Require},
	}
	policies := map[string]*policy.Policy{}
	for _, tc := range tests {
		if tc.actor == "" {
			tc.actor = "alice"
		}
		p, ok := policies[tc.example]
		if !ok {
			data, err := os.ReadFile(filepath.Join(tc.example, ".github", "stepgate.yml"))
			if err != nil {
				t.Fatal(err)
			}
			if p, err = policy.Parse("stepgate.yml", data); err != nil {
				t.Fatal(err)
			}
			policies[tc.example] = p
		}
		m := p.Evaluate(policy.Facts{
			Command: tc.command, Environment: tc.env, Actor: tc.actor, Branch: "main",
			Risk: risk.Assess(tc.command).Level, Time: tc.at,
		})
		if m.Rule != tc.wantRule || m.Decision != tc.wantDecision {
			t.Errorf("%s: %q in %q: got rule %q (%s), want %q (%s)", tc.example, tc.command, tc.env, m.Rule, m.Decision, tc.wantRule, tc.wantDecision)
		}
	}
}

// TestRememberOnlyWhereTheREADMESays: remember is a loosening; the examples
// allow it only on the rules whose README explains why.
func TestRememberOnlyWhereTheREADMESays(t *testing.T) {
	t.Parallel()
	want := map[string]time.Duration{
		"regional-rollout/regions": 24 * time.Hour,
		"host-mode/production":     8 * time.Hour,
	}
	for _, ex := range loadExamples(t) {
		p, err := policy.Parse("stepgate.yml", ex.policy)
		if err != nil {
			continue
		}
		for _, r := range p.Rules {
			key := ex.name + "/" + r.Name
			if r.Remember != want[key] {
				t.Errorf("%s: remember %v, want %v", key, r.Remember, want[key])
			}
		}
	}
}

// TestREADMEPolicies: every policy shown in the top-level README parses.
func TestREADMEPolicies(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(data), "```yaml\n")[1:]
	n := 0
	for _, b := range blocks {
		body, _, _ := strings.Cut(b, "```")
		if !strings.HasPrefix(body, "version:") {
			continue
		}
		n++
		if _, err := policy.Parse(fmt.Sprintf("README.md policy #%d", n), []byte(body)); err != nil {
			t.Error(err)
		}
	}
	if n == 0 {
		t.Error("no policy found in README.md")
	}
}
