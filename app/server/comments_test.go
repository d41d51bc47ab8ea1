package server

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

func TestRejectWithReasonAndStatus(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.gh.setPerm(repoA, "maya", "write")
	body := cmdBody("./deploy.sh")
	body.PullRequest = 21
	_, v := h.create(h.prToken(21), body)
	comment := func(text string) {
		if code, _ := h.webhook("issue_comment", prCommentPayload(t, "created", repoA, repoAID, 21, "maya", text), testSecret, ""); code >= 300 {
			t.Fatalf("comment %q: %d", text, code)
		}
	}
	lastComment := func() string {
		cs := h.gh.allComments()
		return cs[len(cs)-1].Body
	}
	comment("/stepgate status")
	if got := lastComment(); !strings.Contains(got, v.ID) {
		t.Errorf("status reply does not list the pending request:\n%s", got)
	}
	comment("/stepgate reject not during the incident")
	r := h.request(v.ID)
	if r.Status != gate.StatusRejected || !strings.Contains(r.FinalReason, "not during the incident") || strings.Join(r.DecidedBy, ",") != "maya" {
		t.Fatalf("after reject: %s %q by %v", r.Status, r.FinalReason, r.DecidedBy)
	}
	comment("/stepgate status " + v.ID)
	if got := lastComment(); !strings.Contains(got, "rejected") {
		t.Errorf("status reply = %q, want it to say rejected", got)
	}
	events, err := h.st.ListAudit(context.Background(), repoA, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var rejection *gate.AuditEvent
	for i := range events {
		if events[i].Type == gate.EventRejection {
			rejection = &events[i]
		}
	}
	if rejection == nil || rejection.Actor != "maya" || rejection.Channel != lifecycle.ChannelPRComment || rejection.Details["comment"] != "not during the incident" {
		t.Errorf("rejection audit event = %+v", rejection)
	}
	if err := gate.VerifyChain(events); err != nil {
		t.Errorf("audit chain: %v", err)
	}
}

// forgetfulGitHub is the real client, recording the installations the
// App told it to forget before forgetting them.
type forgetfulGitHub struct {
	*ghclient.Client
	mu        sync.Mutex
	forgotten []int64
}

func (f *forgetfulGitHub) ForgetInstallation(id int64) {
	f.mu.Lock()
	f.forgotten = append(f.forgotten, id)
	f.mu.Unlock()
	f.Client.ForgetInstallation(id)
}

// The App is uninstalled and installed again: the deleted event makes the
// client forget the installation it knew (creates are refused, not sent
// with a dead token), the created one needs nothing of the App.
func TestInstallationDeletedIsForgotten(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	fg := &forgetfulGitHub{Client: h.gh.client}
	h.srv.gh = fg
	if code, _ := h.create(h.newRun(), cmdBody("echo hi")); code != http.StatusCreated {
		t.Fatalf("create while installed: %d", code)
	}
	p, err := h.gh.InstallationPayload("deleted", repoA, "octo-admin")
	if err != nil {
		t.Fatal(err)
	}
	id := h.gh.Uninstall(repoA)
	if code, body := h.webhook("installation", p, testSecret, ""); code != 200 {
		t.Fatalf("installation deleted: %d %s", code, body)
	}
	fg.mu.Lock()
	if len(fg.forgotten) != 1 || fg.forgotten[0] != id {
		t.Errorf("forgotten = %v, want [%d]", fg.forgotten, id)
	}
	fg.mu.Unlock()
	if resp, b := h.do("POST", "/api/v1/requests", h.newRun(), cmdBody("echo hi")); resp.StatusCode != http.StatusForbidden ||
		errorBody(t, b).Code != gate.ErrorCodeNotInstalled {
		t.Errorf("create after uninstall: %d %s, want 403 not installed", resp.StatusCode, b)
	}
	h.gh.AddRepo(ghstandin.Repo{FullName: repoA}) // installed again
	if p, err = h.gh.InstallationPayload("created", repoA, "octo-admin"); err != nil {
		t.Fatal(err)
	}
	if code, _ := h.webhook("installation", p, testSecret, ""); code != 202 {
		t.Errorf("installation created: %d, want 202", code)
	}
	if code, _ := h.create(h.newRun(), cmdBody("echo hi")); code != http.StatusCreated {
		t.Errorf("create after reinstalling: %d", code)
	}
}

func TestGitHubErrorDuringVoteIsExplained(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{client: noRetries})
	id, cr := h.pendingRequest(h.newRun(), "./deploy.sh")
	h.gh.failPerm(1)
	if code, _ := h.webhook("check_run", clickPayload(t, repoA, repoAID, id, cr, "approve", "alice", "User"), testSecret, ""); code != 500 {
		t.Errorf("webhook = %d, want 500", code)
	}
	if got := h.gh.checkRun(cr); !strings.Contains(got.Summary, "try again") || got.Conclusion != "action_required" {
		t.Errorf("check run does not ask to try again:\n%s", got.Summary)
	}
	if r := h.request(id); r.Status != gate.StatusPending || len(r.Votes) != 0 {
		t.Errorf("request %s with %d votes, want pending with none", r.Status, len(r.Votes))
	}
}
