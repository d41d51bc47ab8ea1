package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

// policy is every repository's .github/stepgate.yml; the environment input
// picks the rule a scenario exercises. An allow rule must name every command
// of the tree (and a redirect into a file is never allowed), so "read-only"
// names both commands of marked("echo read-only …").
const policy = `version: 1
defaults: { timeout: 5m }
rules:
  - name: read-only
    if: { command: ['echo read-only *', 'echo ran', 'tee -a marker'] }
    then: allow
  - name: allof
    if: { environment: [allof] }
    require: { all_of: [ { team: e2e/dba }, { codeowners: db/ } ] }
  - name: minrole
    if: { environment: [minrole] }
    require: { role: maintain, count: 2 }
  - name: routed
    if: { environment: [routed] }
    require: { codeowners: services/payments/ }
  - name: remember
    if: { environment: [remember] }
    require: { role: write }
    remember: 1h
  - name: default
    require: { role: write }
`

const codeowners = `/db/                 @owen
/services/payments/  @paula
*                    @max1
`

// The run's actor is octo-actor (write). rita has write; max1 and max2
// maintain; dora is an active member of e2e/dba, pete only invited; owen
// and paula own paths; adam is an admin.
func (c *cluster) seedPeople(repo string) {
	roles := map[string]string{
		"octo-actor": "write", "rita": "write", "max1": "maintain", "max2": "maintain",
		"dora": "write", "pete": "write", "owen": "write", "paula": "write", "adam": "admin",
	}
	for login, role := range roles {
		c.gh.AddUser(login)
		c.gh.SetPermission(repo, login, role)
	}
	c.gh.SetTeamMember("e2e", "dba", "dora", "active")
	c.gh.SetTeamMember("e2e", "dba", "pete", "pending")
}

// repo creates a fresh repository for one scenario.
func (c *cluster) repo(name string) (string, int64) {
	full := "e2e/" + name
	id := c.addRepo(full, policy, codeowners)
	c.seedPeople(full)
	c.gh.AddPullRequest(full, ghstandin.PullRequest{Number: 1, Title: "deploy", HeadSHA: headSHA,
		HeadRef: "feature", BaseRef: "main", Author: "octo-actor"})
	return full, id
}

// marked appends a line to the marker file in the workspace (the command's
// working directory): how often it ran.
func marked(s string) string { return s + ` && echo ran | tee -a marker` }

const waitGate = 60 * time.Second

func TestFlows(t *testing.T) {
	c := newCluster(t)
	t.Cleanup(c.dumpLogs)
	t.Run("flows", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			run  func(t *testing.T, c *cluster)
		}{
			{"allowed-by-policy", flowAllowed},
			{"approve-by-button-on-other-replica", flowButton},
			{"approve-by-pr-comment", flowPRComment},
			{"approve-by-commit-comment", flowCommitComment},
			{"host-mode", flowHostMode},
			{"reject", flowReject},
			{"forged-webhook", flowForgedWebhook},
			{"expire", flowExpire},
			{"all-of", flowAllOf},
			{"min-role", flowMinRole},
			{"codeowners-routing", flowRouting},
			{"remember", flowRemember},
			{"freeze", flowFreeze},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.run(t, c)
			})
		}
	})
	// Both replicas appended to the same repositories' hash chains at once;
	// the real export must find every chain intact.
	t.Run("audit-export-verify", func(t *testing.T) { c.verifyAudit(t) })
}

// verifyAudit runs `stepgate audit export --verify` on the shared table and
// checks that a decided request left its whole story.
func (c *cluster) verifyAudit(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.bin, "audit", "export", "--verify", "--repo", "e2e/button")
	cmd.Env = c.baseEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stepgate audit export --verify: %v\n%s", err, stderr.String())
	}
	// A vote that decides records the outcome in its own "approval" event.
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var ev struct {
			Type  string `json:"type"`
			Actor string `json:"actor"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		got = append(got, ev.Type+":"+ev.Actor)
	}
	want := []string{"requested:octo-actor", "approval:rita", "executed:"}
	for _, w := range want {
		ok := slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) })
		if !ok {
			t.Errorf("audit trail of e2e/button is %v, missing %q", got, w)
		}
	}
	all := exec.CommandContext(ctx, suite.bin, "audit", "export", "--verify")
	all.Env = c.baseEnv()
	if out, err := all.CombinedOutput(); err != nil {
		t.Errorf("stepgate audit export --verify (all repositories): %v\n%s", err, tail(string(out), 20))
	}
}

func expectOutcome(t *testing.T, g *gateRun, wantExit int, wantStatus string, wantRuns int) map[string]string {
	t.Helper()
	exit, out := g.wait(waitGate)
	if exit != wantExit || out["status"] != wantStatus {
		t.Errorf("exit %d, status %q; want exit %d, status %q\n%s", exit, out["status"], wantExit, wantStatus, g.output.String())
	}
	if got := g.marker(); got != wantRuns {
		t.Errorf("the command ran %d times, want %d", got, wantRuns)
	}
	return out
}

func flowAllowed(t *testing.T, c *cluster) {
	repo, id := c.repo("allowed")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo read-only check")})
	expectOutcome(t, g, 0, "allowed", 1)
	if runs := c.gh.CheckRuns(repo); len(runs) != 0 {
		t.Errorf("%d check runs for a command the policy allows, want 0", len(runs))
	}
}

func flowButton(t *testing.T, c *cluster) {
	repo, id := c.repo("button")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo deploy")})
	cr := c.waitCheckRun(repo, 1, g)
	if cr.HeadSHA != headSHA {
		t.Errorf("check run on %s, want the PR's head %s", cr.HeadSHA, headSHA)
	}
	click(t, c, repo, cr.ID, "approve", "rita") // webhook to replica 2
	out := expectOutcome(t, g, 0, "approved", 1)
	if out["approved-by"] != "rita" || out["exit-code"] != "0" {
		t.Errorf("outputs %v, want approved-by rita, exit-code 0", out)
	}
	summary, err := os.ReadFile(filepath.Join(g.dir, "summary.md"))
	if err != nil || !strings.Contains(string(summary), "rita") || !strings.Contains(string(summary), "echo deploy") {
		t.Errorf("job summary does not show the command and the approver (%v):\n%s", err, summary)
	}
	// Replica 1 is up, so the proxy sent every gate connection to it: the
	// decision recorded by replica 2 reached the gate through the table.
	if r1, r2 := c.proxy.served[0].Load(), c.proxy.served[1].Load(); r1 == 0 || r2 != 0 {
		t.Errorf("gate connections: replica 1 %d, replica 2 %d; want all on replica 1", r1, r2)
	}
}

// flowHostMode: `stepgate run` (flags, STEPGATE_SERVER) gates like the action.
func flowHostMode(t *testing.T, c *cluster) {
	repo, id := c.repo("hostmode")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo host"), host: true,
		inputs: map[string]string{"environment": "minrole", "reason": "host mode"}})
	cr := c.waitCheckRun(repo, 1, g)
	click(t, c, repo, cr.ID, "approve", "max1")
	click(t, c, repo, cr.ID, "approve", "max2")
	out := expectOutcome(t, g, 0, "approved", 1)
	if got := approvers(out); !slices.Equal(sorted(got), []string{"max1", "max2"}) {
		t.Errorf("approved-by %v, want max1 and max2", got)
	}
}

func flowPRComment(t *testing.T, c *cluster) {
	repo, id := c.repo("prcomment")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo deploy")})
	c.waitCheckRun(repo, 1, g)
	comment(t, c, repo, 1, "rita", "/stepgate approve")
	expectOutcome(t, g, 0, "approved", 1)
}

func flowCommitComment(t *testing.T, c *cluster) {
	repo, id := c.repo("commitcomment")
	sha := "3333333333333333333333333333333333333333"
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo deploy"), push: true, sha: sha})
	cr := c.waitCheckRun(repo, 1, g)
	if cr.HeadSHA != sha {
		t.Errorf("check run on %s, want the pushed commit %s", cr.HeadSHA, sha)
	}
	if st, err := c.gh.PostCommitComment(repo, sha, "rita", "/stepgate approve"); err != nil || st >= 300 {
		t.Fatalf("commit comment: status %d, %v", st, err)
	}
	expectOutcome(t, g, 0, "approved", 1)
}

func flowReject(t *testing.T, c *cluster) {
	repo, id := c.repo("reject")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo drop table")})
	cr := c.waitCheckRun(repo, 1, g)
	click(t, c, repo, cr.ID, "reject", "rita")
	out := expectOutcome(t, g, 3, "rejected", 0)
	if out["exit-code"] != "" {
		t.Errorf("exit-code output %q for a command that never ran", out["exit-code"])
	}
}

func flowExpire(t *testing.T, c *cluster) {
	repo, id := c.repo("expire")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo late"), inputs: map[string]string{"timeout": "2s"}})
	c.waitCheckRun(repo, 1, g)
	expectOutcome(t, g, 4, "expired", 0)
	// A click after expiry must not resurrect it.
	cr := c.gh.CheckRuns(repo)[0]
	_, _ = c.gh.ClickAction(repo, cr.ID, "approve", "rita")
	if g.marker() != 0 {
		t.Error("the command ran after the request expired")
	}
}

func click(t *testing.T, c *cluster, repo string, checkRunID int64, action, login string) {
	t.Helper()
	st, err := c.gh.ClickAction(repo, checkRunID, action, login)
	if err != nil || st >= 300 {
		t.Fatalf("%s clicking %s: status %d, %v", login, action, st, err)
	}
}

func comment(t *testing.T, c *cluster, repo string, pr int, login, body string) {
	t.Helper()
	st, err := c.gh.PostIssueComment(repo, pr, login, body)
	if err != nil || st >= 300 {
		t.Fatalf("%s commenting %q: status %d, %v", login, body, st, err)
	}
}

// approvers splits the approved-by output.
func approvers(out map[string]string) []string {
	var list []string
	for _, s := range strings.Split(out["approved-by"], ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	return list
}

// flowForgedWebhook: a click signed with the wrong secret (or none) is
// refused with 401 by both replicas and changes nothing.
func flowForgedWebhook(t *testing.T, c *cluster) {
	repo, id := c.repo("forged")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo deploy")})
	cr := c.waitCheckRun(repo, 1, g)
	payload, err := c.gh.CheckRunRequestedActionPayload(repo, cr.ID, "approve", "rita")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(payload)
	for _, r := range c.replicas {
		for _, sig := range []string{ghstandin.Sign("not-the-secret", body), ""} {
			req, _ := http.NewRequest(http.MethodPost, r.url()+"/webhook", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "check_run")
			req.Header.Set("X-GitHub-Delivery", "forged-"+randomHex(t, 8))
			if sig != "" {
				req.Header.Set("X-Hub-Signature-256", sig)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s answered a forged webhook (signature %q) with %d, want 401", r.name, sig, resp.StatusCode)
			}
		}
	}
	g.stillWaiting(pause, "only forged approvals arrived")
	click(t, c, repo, cr.ID, "approve", "rita")
	expectOutcome(t, g, 0, "approved", 1)
}
