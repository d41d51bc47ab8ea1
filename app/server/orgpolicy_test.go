package server_test

import (
	"strings"
	"testing"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

const orgPolicyRepo = "acme/.github"

// orgPolicy allows `make plan` under a rule only the owner's file has.
const orgPolicy = "version: 1\nrules:\n  - name: org-plan\n    if: { command: [\"make plan\"] }\n    then: allow\n  - name: org-default\n    require: { users: [olga] }\n"

// A repository without .github/stepgate.yml is decided by its owner's
// .github repository's file (DESIGN.md: org-wide default); one with its own
// file ignores the owner's entirely.
func TestOrgWidePolicy(t *testing.T) {
	t.Parallel()
	t.Run("repository without a policy uses its owner's", func(t *testing.T) {
		t.Parallel()
		h := newRealHarness(t)
		h.gs.AddRepo(ghstandin.Repo{FullName: orgPolicyRepo})
		h.gs.SetFile(orgPolicyRepo, "main", lifecycle.PolicyPath, orgPolicy)
		if code, v := h.create(h.run(), cmdBody("make plan")); code != 201 || v.Status != gate.StatusAllowed || v.Rule != "org-plan" {
			t.Fatalf("make plan: %d %s rule %q, want allowed by the org's rule org-plan", code, v.Status, v.Rule)
		}
		if _, v := h.create(h.run(), cmdBody("./deploy.sh")); v.Status != gate.StatusPending || v.Rule != "org-default" {
			t.Fatalf("deploy: %s rule %q, want pending under org-default", v.Status, v.Rule)
		}
	})
	t.Run("repository with its own policy ignores its owner's", func(t *testing.T) {
		t.Parallel()
		h := newRealHarness(t)
		h.gs.AddRepo(ghstandin.Repo{FullName: orgPolicyRepo})
		h.gs.SetFile(orgPolicyRepo, "main", lifecycle.PolicyPath, orgPolicy)
		h.gs.SetFile(standinRepo, "main", lifecycle.PolicyPath, "version: 1\nrules:\n  - name: own\n    require: { users: [carol] }\n")
		if _, v := h.create(h.run(), cmdBody("make plan")); v.Status != gate.StatusPending || v.Rule != "own" {
			t.Fatalf("make plan: %s rule %q, want pending under the repository's own rule (the org's allow must not apply)", v.Status, v.Rule)
		}
	})
	t.Run("an owner's policy that does not parse rejects and names the file", func(t *testing.T) {
		t.Parallel()
		h := newRealHarness(t)
		h.gs.AddRepo(ghstandin.Repo{FullName: orgPolicyRepo})
		h.gs.SetFile(orgPolicyRepo, "main", lifecycle.PolicyPath, "version: 1\nrules:\n  - name: x\n    then: maybe\n")
		_, v := h.create(h.run(), cmdBody("make plan"))
		if v.Status != gate.StatusRejected || v.Rule != "invalid-policy" {
			t.Fatalf("create: %s rule %q, want rejected as invalid-policy (fail closed, not the default)", v.Status, v.Rule)
		}
		if r := h.request(v.ID); !strings.Contains(r.FinalReason, orgPolicyRepo) {
			t.Errorf("reason %q does not name %s", r.FinalReason, orgPolicyRepo)
		}
	})
	t.Run("a policy on another branch of the owner's repository does not count", func(t *testing.T) {
		t.Parallel()
		h := newRealHarness(t)
		h.gs.AddRepo(ghstandin.Repo{FullName: orgPolicyRepo})
		h.gs.SetFile(orgPolicyRepo, "open", lifecycle.PolicyPath, "version: 1\nrules:\n  - name: open\n    then: allow\n")
		if _, v := h.create(h.run(), cmdBody("make plan")); v.Status != gate.StatusPending || v.Rule != "default" {
			t.Fatalf("create: %s rule %q, want pending under the built-in default", v.Status, v.Rule)
		}
	})
	t.Run("another owner's .github repository never applies", func(t *testing.T) {
		t.Parallel()
		h := newRealHarness(t)
		h.gs.AddRepo(ghstandin.Repo{FullName: "other/.github"})
		h.gs.SetFile("other/.github", "main", lifecycle.PolicyPath, "version: 1\nrules:\n  - name: open\n    then: allow\n")
		if _, v := h.create(h.run(), cmdBody("make plan")); v.Status != gate.StatusPending || v.Rule != "default" {
			t.Fatalf("create: %s rule %q, want pending under the built-in default", v.Status, v.Rule)
		}
	})
}
