package server

import (
	"strings"
	"testing"
)

func TestApproversInputDoesNotPingThroughTheApp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	body := cmdBody("./deploy.sh")
	body.PullRequest = 41
	body.Approvers = []string{"team:acme/everyone"}
	_, v := h.create(h.prToken(41), body)
	if v.Status != "pending" {
		t.Fatalf("status %s, want pending", v.Status)
	}
	cs := h.gh.allComments()
	if len(cs) == 0 {
		t.Fatal("no comment")
	}
	c := cs[len(cs)-1].Body
	if strings.Contains(c, "@acme/everyone") {
		t.Errorf("comment pings the input's team:\n%s", c)
	}
	if !strings.Contains(c, "acme/everyone") {
		t.Errorf("comment does not show the input's team:\n%s", c)
	}
	out := h.gh.checkRun(h.request(v.ID).CheckRunID)
	if strings.Contains(out.Summary, "@acme/everyone") {
		t.Errorf("check run pings the input's team:\n%s", out.Summary)
	}
}
