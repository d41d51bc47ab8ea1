package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// pause is how long a gate must keep waiting after a vote that does not
// complete the requirement; decisions otherwise arrive in well under that.
const pause = 700 * time.Millisecond

func flowAllOf(t *testing.T, c *cluster) {
	repo, id := c.repo("allof")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo migrate"), inputs: map[string]string{"environment": "allof"}})
	cr := c.waitCheckRun(repo, 1, g)
	click(t, c, repo, cr.ID, "approve", "pete") // invited to e2e/dba, not active
	click(t, c, repo, cr.ID, "approve", "dora") // team e2e/dba
	g.stillWaiting(pause, "the CODEOWNERS owner of db/ has not approved")
	click(t, c, repo, cr.ID, "approve", "owen") // owner of db/
	out := expectOutcome(t, g, 0, "approved", 1)
	if got := approvers(out); !slices.Equal(sorted(got), []string{"dora", "owen"}) {
		t.Errorf("approved-by %v, want dora and owen", got)
	}
}

func flowMinRole(t *testing.T, c *cluster) {
	repo, id := c.repo("minrole")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo scale"), inputs: map[string]string{"environment": "minrole"}})
	cr := c.waitCheckRun(repo, 1, g)
	click(t, c, repo, cr.ID, "approve", "max1")
	click(t, c, repo, cr.ID, "approve", "rita")         // write is not maintain
	click(t, c, repo, cr.ID, "approve", "octo-actor")   // the run's actor never counts
	comment(t, c, repo, 1, "max1", "/stepgate approve") // counts once
	g.stillWaiting(pause, "only one maintainer approved")
	click(t, c, repo, cr.ID, "approve", "max2")
	out := expectOutcome(t, g, 0, "approved", 1)
	if got := approvers(out); !slices.Equal(sorted(got), []string{"max1", "max2"}) {
		t.Errorf("approved-by %v, want max1 and max2", got)
	}
}

func flowRouting(t *testing.T, c *cluster) {
	repo, id := c.repo("routing")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo deploy payments"), inputs: map[string]string{"environment": "routed"}})
	cr := c.waitCheckRun(repo, 1, g)
	if !strings.Contains(cr.Summary+cr.Text, "paula") {
		t.Errorf("the check run does not name the owner paula:\n%s\n%s", cr.Summary, cr.Text)
	}
	click(t, c, repo, cr.ID, "approve", "max1") // maintainer, but owns * not services/payments/
	g.stillWaiting(pause, "the owner of services/payments/ has not approved")
	click(t, c, repo, cr.ID, "approve", "paula")
	out := expectOutcome(t, g, 0, "approved", 1)
	if out["approved-by"] != "paula" {
		t.Errorf("approved-by %q, want paula", out["approved-by"])
	}
}

func flowRemember(t *testing.T, c *cluster) {
	repo, id := c.repo("remember")
	spec := gateSpec{repo: repo, repoID: id, command: marked("echo rollout v2"), inputs: map[string]string{"environment": "remember"}}
	g := c.startGate(t, spec)
	cr := c.waitCheckRun(repo, 1, g)
	click(t, c, repo, cr.ID, "remember", "rita")
	expectOutcome(t, g, 0, "approved", 1)
	c.settle(repo)

	start := time.Now()
	g2 := c.startGate(t, spec) // a new run, the same command
	expectOutcome(t, g2, 0, "allowed", 1)
	if n := len(c.gh.CheckRuns(repo)); n != 1 {
		t.Errorf("%d check runs, want 1: the remembered run must not open one", n)
	}
	for _, call := range c.gh.CallsSince(start) {
		if strings.Contains(call.Path, "/"+repo+"/") || strings.HasSuffix(call.Path, "/"+repo) {
			t.Errorf("the remembered run made a GitHub call: %s %s", call.Method, call.Path)
		}
	}
}

func flowFreeze(t *testing.T, c *cluster) {
	repo, id := c.repo("freeze")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo deploy")})
	c.waitCheckRun(repo, 1, g)
	comment(t, c, repo, 1, "rita", "/stepgate freeze not an admin") // ignored
	g.stillWaiting(pause, "only an admin can freeze")
	comment(t, c, repo, 1, "adam", "/stepgate freeze incident 42")
	expectOutcome(t, g, 3, "rejected", 0)

	g2 := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo read-only while frozen")})
	expectOutcome(t, g2, 3, "rejected", 0)

	comment(t, c, repo, 1, "adam", "/stepgate unfreeze")
	g3 := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo read-only after")})
	expectOutcome(t, g3, 0, "allowed", 1)
}

// settle waits until the App's GitHub traffic for repo (check run and
// comment updates after a decision) has stopped.
func (c *cluster) settle(repo string) {
	const quiet = 300 * time.Millisecond
	deadline := time.Now().Add(10 * time.Second)
	last, lastChange := -1, time.Now()
	for time.Now().Before(deadline) && time.Since(lastChange) < quiet {
		n := 0
		for _, call := range c.gh.Calls() {
			if strings.Contains(call.Path, "/"+repo+"/") {
				n++
			}
		}
		if n != last {
			last, lastChange = n, time.Now()
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
