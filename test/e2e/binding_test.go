package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bindingPolicy allows only echo and denies rm, so a command that hides an
// rm behind a secret-looking prefix shows whether the App saw it.
const bindingPolicy = `version: 1
rules:
  - name: never
    if: { command: ["rm -rf *"] }
    then: deny
  - name: echo-ok
    if: { command: ["echo *"] }
    then: allow
  - name: default
    require: { role: write }
`

// TestBindingEndToEnd runs real `stepgate action` processes against two real
// `stepgate serve` replicas (issue #10): what runs is what was decided.
func TestBindingEndToEnd(t *testing.T) {
	c := newCluster(t)
	t.Cleanup(c.dumpLogs)
	t.Run("code behind a secret-looking prefix is decided", func(t *testing.T) {
		t.Parallel()
		repo := "e2e/bind-hidden"
		id := c.addRepo(repo, bindingPolicy, "")
		c.seedPeople(repo)
		g := c.startGate(t, gateSpec{repo: repo, repoID: id, push: true,
			command: `echo -----BEGIN RSA PRIVATE KEY----- ; rm -rf "$MARKER.dir"; echo ran >> "$MARKER"`})
		expectOutcome(t, g, 3, "rejected", 0)
		if !strings.Contains(g.output.String(), "never") {
			t.Errorf("the gate does not name the deny rule:\n%s", g.output.String())
		}
	})
	t.Run("script changed after checkout is refused", func(t *testing.T) {
		t.Parallel()
		repo := "e2e/bind-script"
		id := c.addRepo(repo, bindingPolicy, "")
		c.seedPeople(repo)
		c.gh.SetFile(repo, headSHA, "deploy.sh", "#!/bin/sh\necho reviewed\n")
		g := c.startGate(t, gateSpec{repo: repo, repoID: id, push: true, command: `./deploy.sh`,
			files: map[string]string{"deploy.sh": "#!/bin/sh\necho ran >> \"$MARKER\"\n"}})
		exit, _ := g.wait(waitGate)
		if exit == 0 || g.marker() != 0 {
			t.Fatalf("exit %d, ran %d times; want refused and not run\n%s", exit, g.marker(), g.output.String())
		}
		if !strings.Contains(g.output.String(), "changed after checkout") {
			t.Errorf("the gate does not say the script changed:\n%s", g.output.String())
		}
		if runs := c.gh.CheckRuns(repo); len(runs) != 0 {
			t.Errorf("%d check runs opened for a refused request, want 0", len(runs))
		}
	})
	t.Run("BASH_ENV from an earlier step does not run", func(t *testing.T) {
		t.Parallel()
		repo := "e2e/bind-bashenv"
		id := c.addRepo(repo, bindingPolicy, "")
		c.seedPeople(repo)
		evil := filepath.Join(t.TempDir(), "evil.sh")
		pwned := evil + ".pwned"
		if err := os.WriteFile(evil, []byte("echo pwned > "+pwned+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		g := c.startGate(t, gateSpec{repo: repo, repoID: id, push: true, command: `echo ran >> marker`,
			env: []string{"BASH_ENV=" + evil, "ENV=" + evil}})
		// Allow rules never allow a write to a file, so a reviewer approves.
		cr := c.waitCheckRun(repo, 1, g)
		click(t, c, repo, cr.ID, "approve", "rita")
		expectOutcome(t, g, 0, "approved", 1)
		if _, err := os.Stat(pwned); err == nil {
			t.Error("BASH_ENV ran before the approved command")
		}
	})
}
