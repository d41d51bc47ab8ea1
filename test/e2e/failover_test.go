package e2e

import (
	"syscall"
	"testing"
)

// TestReplicaKilledWhileGateWaits: the gate long-polls replica 1 through
// the failover proxy (the load balancer). Replica 1 is killed with SIGKILL
// — no graceful shutdown, its connections just break — and the reviewer's
// click reaches replica 2. The gate's bounded retries land on replica 2,
// which finds the pending request in the shared table: the decision
// arrives and the command runs exactly once. Replica 1 then starts again
// on the same address and serves the next gate.
func TestReplicaKilledWhileGateWaits(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	t.Cleanup(c.dumpLogs)
	repo, id := c.repo("failover")
	g := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo deploy once")})
	cr := c.waitCheckRun(repo, 1, g)
	if n := c.proxy.served[0].Load(); n == 0 {
		t.Fatalf("the gate has not talked to replica 1 (connections: r1=%d r2=%d)", n, c.proxy.served[1].Load())
	}

	r1 := c.replicas[0]
	r1.stop(syscall.SIGKILL)
	before2 := c.proxy.served[1].Load()
	click(t, c, repo, cr.ID, "approve", "rita") // delivered to replica 2

	exit, out := g.wait(waitGate)
	if exit != 0 || out["status"] != "approved" {
		t.Fatalf("exit %d, status %q; want 0, approved\n%s", exit, out["status"], g.output.String())
	}
	if got := g.marker(); got != 1 {
		t.Errorf("the command ran %d times, want exactly 1", got)
	}
	if c.proxy.served[1].Load() == before2 {
		t.Error("the gate never reached replica 2 after replica 1 died")
	}

	c.start(r1)
	before1 := c.proxy.served[0].Load()
	g2 := c.startGate(t, gateSpec{repo: repo, repoID: id, command: marked("echo read-only after restart")})
	if exit, out := g2.wait(waitGate); exit != 0 || out["status"] != "allowed" {
		t.Fatalf("after the restart: exit %d, status %q\n%s", exit, out["status"], g2.output.String())
	}
	if c.proxy.served[0].Load() == before1 {
		t.Error("the restarted replica 1 served nothing")
	}
}
