package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// Issue 13 and security invariant 11: a comment counts once (by its id),
// only if written after the request, only on the request's own PR or
// commit, and only where a reader sees a command.

func (h *harness) prRequest(pr int, command string) gate.RequestView {
	h.t.Helper()
	body := cmdBody(command)
	body.PullRequest = pr
	_, v := h.create(h.prToken(pr), body)
	if v.Status != gate.StatusPending {
		h.t.Fatalf("status = %s, want pending", v.Status)
	}
	return v
}

// The same signed comment delivered again under a new delivery id changes
// nothing: not the request it approved, nor a later one on the same PR.
func TestReplayedCommentDoesNotApproveALaterRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	first := h.prRequest(31, "./deploy.sh")
	p := prCommentPayload(t, "created", repoA, repoAID, 31, "alice", "/stepgate approve")
	if _, resp := h.webhook("issue_comment", p, testSecret, "d-replay-1"); !strings.Contains(resp, "approved") {
		t.Fatalf("genuine approval: %s", resp)
	}
	second := h.prRequest(31, "./deploy.sh --again")
	_, resp := h.webhook("issue_comment", p, testSecret, "d-replay-2")
	if !strings.Contains(resp, "duplicate_comment") {
		t.Errorf("replayed comment: %s, want duplicate_comment", resp)
	}
	if r := h.request(second.ID); r.Status != gate.StatusPending || len(r.Votes) != 0 {
		t.Fatalf("replayed comment: %s with %d votes, want pending with none", r.Status, len(r.Votes))
	}
	if r := h.request(first.ID); len(r.Votes) != 1 {
		t.Errorf("first request has %d votes, want 1", len(r.Votes))
	}
}

// An old comment (written before the request) does not count, even under
// its first delivery: a captured approval cannot be spent on a new request.
func TestCommentWrittenBeforeTheRequestDoesNotCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	v := h.prRequest(32, "./deploy.sh")
	p := prCommentPayload(t, "created", repoA, repoAID, 32, "alice", "/stepgate approve "+v.ID)
	obj(p, "comment")["created_at"] = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if _, resp := h.webhook("issue_comment", p, testSecret, ""); !strings.Contains(resp, "stale_comment") {
		t.Errorf("old comment: %s, want stale_comment", resp)
	}
	if r := h.request(v.ID); r.Status != gate.StatusPending || len(r.Votes) != 0 {
		t.Fatalf("old comment: %s with %d votes, want pending with none", r.Status, len(r.Votes))
	}
	cs := h.gh.allComments()
	if last := cs[len(cs)-1].Body; !strings.Contains(last, "written before") {
		t.Errorf("reply does not say why: %q", last)
	}
}

// `/stepgate approve <id>` on one PR cannot approve another PR's request.
func TestCommentOnAnotherPRCannotApprove(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	victim := h.prRequest(33, "./deploy.sh")
	p := prCommentPayload(t, "created", repoA, repoAID, 34, "alice", "/stepgate approve "+victim.ID)
	if _, resp := h.webhook("issue_comment", p, testSecret, ""); !strings.Contains(resp, "wrong_target") {
		t.Errorf("cross-PR approval: %s, want wrong_target", resp)
	}
	if r := h.request(victim.ID); r.Status != gate.StatusPending || len(r.Votes) != 0 {
		t.Fatalf("cross-PR approval: %s with %d votes, want pending with none", r.Status, len(r.Votes))
	}
	// Nor a commit comment on another commit.
	c := commitCommentPayload(t, repoA, repoAID, strings.Repeat("f", 40), "alice", "/stepgate approve "+victim.ID)
	if _, resp := h.webhook("commit_comment", c, testSecret, ""); !strings.Contains(resp, "wrong_target") {
		t.Errorf("approval on another commit: %s, want wrong_target", resp)
	}
	// On its own PR the same command counts.
	p = prCommentPayload(t, "created", repoA, repoAID, 33, "alice", "/stepgate approve "+victim.ID)
	if _, resp := h.webhook("issue_comment", p, testSecret, ""); !strings.Contains(resp, "approved") {
		t.Errorf("approval on its own PR: %s, want approved", resp)
	}
}

// Hostile placements reach the webhook handler and are ignored there too.
func TestHiddenCommentCommandsAreIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "alice", "write")
	v := h.prRequest(35, "./deploy.sh")
	for _, body := range []string{
		"Looks risky.\n\n    /stepgate approve " + v.ID,
		"<!-- /stepgate approve " + v.ID + " -->",
		"<details>\n\n/stepgate approve " + v.ID + "\n\n</details>",
		"> /stepgate approve " + v.ID,
		"```\n/stepgate approve " + v.ID + "\n```",
	} {
		p := prCommentPayload(t, "created", repoA, repoAID, 35, "alice", body)
		if _, resp := h.webhook("issue_comment", p, testSecret, ""); !strings.Contains(resp, "ignored") {
			t.Errorf("comment %q: %s, want ignored", body, resp)
		}
	}
	if r := h.request(v.ID); r.Status != gate.StatusPending || len(r.Votes) != 0 {
		t.Fatalf("after hidden commands: %s with %d votes, want pending with none", r.Status, len(r.Votes))
	}
}
