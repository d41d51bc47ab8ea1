package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// flakyStore is the real bolt store whose CreateRequest or UpdateRequest
// can be made to fail with store.ErrUnavailable, the way a DynamoDB outage
// would answer.
type flakyStore struct {
	store.Store
	failCreate atomic.Bool
	failUpdate atomic.Bool
}

func (f *flakyStore) CreateRequest(ctx context.Context, r *gate.Request) (*gate.Request, bool, error) {
	if f.failCreate.Load() {
		return nil, false, fmt.Errorf("test outage: %w", store.ErrUnavailable)
	}
	return f.Store.CreateRequest(ctx, r)
}

func (f *flakyStore) UpdateRequest(ctx context.Context, r *gate.Request) error {
	if f.failUpdate.Load() {
		return fmt.Errorf("test outage: %w", store.ErrUnavailable)
	}
	return f.Store.UpdateRequest(ctx, r)
}

// replicas are App servers sharing one store and one GitHub stand-in, so
// a retried create can land on a replica that did not create the request.
type replicas struct {
	*realHarness
	fs   *flakyStore
	urls []string
}

func newReplicas(t *testing.T, n int) *replicas {
	t.Helper()
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: testSecret})
	gs.AddRepo(ghstandin.Repo{FullName: standinRepo})
	fs := &flakyStore{Store: openBolt(t)}
	iss, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	r := &replicas{realHarness: &realHarness{t: t, gs: gs, st: fs, iss: iss}, fs: fs}
	for range n {
		r.urls = append(r.urls, r.startReplica(t))
	}
	r.url = r.urls[0]
	gs.SetWebhookTarget(r.urls[0] + "/webhook")
	r.repoID = gs.RepoID(standinRepo)
	r.runID.Store(7000)
	return r
}

func (r *replicas) startReplica(t *testing.T) string {
	t.Helper()
	_, url := startApp(t, testConfig(r.gs, r.iss.URL()), r.fs, nil)
	return url
}

// createOn posts a create to replica i.
func (r *replicas) createOn(i int, tok string, b gate.CreateRequest) (int, gate.RequestView) {
	r.t.Helper()
	r.url = r.urls[i]
	defer func() { r.url = r.urls[0] }()
	return r.create(tok, b)
}

// comments lists the App's approval comments: on the PR, or on the commit.
func (r *replicas) comments(pr int) []ghstandin.Comment {
	if pr > 0 {
		return r.gs.IssueComments(standinRepo, pr)
	}
	return r.gs.CommitComments(standinRepo, headSHA)
}

// asking returns the check runs that ask for approval; any other check
// run (closed, or without buttons) fails the test: a create opens nothing
// that does not ask about a stored request.
func asking(t *testing.T, runs []ghstandin.CheckRun) []ghstandin.CheckRun {
	t.Helper()
	var out []ghstandin.CheckRun
	for _, c := range runs {
		if c.Conclusion != "action_required" || len(c.Actions) == 0 {
			t.Errorf("check run %d: status %q conclusion %q with %d actions, want one asking for approval", c.ID, c.Status, c.Conclusion, len(c.Actions))
			continue
		}
		out = append(out, c)
	}
	return out
}

var prCases = []struct {
	name string
	pr   int
}{
	{"pull request comment", 12},
	{"commit comment", 0},
}

func (r *replicas) runFor(pr int) string {
	if pr > 0 {
		return r.prRun(pr)
	}
	return r.run()
}

func (r *replicas) body(pr int) gate.CreateRequest {
	if pr > 0 {
		r.gs.AddPullRequest(standinRepo, ghstandin.PullRequest{Number: pr, HeadSHA: headSHA, HeadRef: "feature", Author: "dev"})
	}
	b := cmdBody("./release.sh --env prod")
	b.PullRequest = pr
	return b
}

// Store first, then announce: a failed create write answers 503 (the
// gate fails closed) and leaves nothing on GitHub, no check run and no
// comment naming a request that does not exist; a retry once the store is
// back opens one working check run.
func TestStoreFailureAnnouncesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range prCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newReplicas(t, 1)
			h.gs.SetPermission(standinRepo, "carol", "write")
			tok, body := h.runFor(tc.pr), h.body(tc.pr)
			h.fs.failCreate.Store(true)
			code, _ := h.create(tok, body)
			if code != http.StatusServiceUnavailable {
				t.Fatalf("create during outage = %d, want 503", code)
			}
			if runs, cs := h.gs.CheckRuns(standinRepo), h.comments(tc.pr); len(runs) != 0 || len(cs) != 0 {
				t.Fatalf("after the outage: %d check runs, %d comments on GitHub; want none", len(runs), len(cs))
			}
			h.fs.failCreate.Store(false)
			code, v := h.create(tok, body)
			if code != http.StatusCreated {
				t.Fatalf("retry = %d, want 201", code)
			}
			active := asking(t, h.gs.CheckRuns(standinRepo))
			if len(active) != 1 || h.request(v.ID).CheckRunID != active[0].ID || len(h.comments(tc.pr)) != 1 {
				t.Fatalf("after retry: %d check runs, %d comments; stored check run %d", len(active), len(h.comments(tc.pr)), h.request(v.ID).CheckRunID)
			}
			h.approve(tok, v.ID, active[0].ID)
		})
	}
}

// A retried create that reaches another replica right after the request
// was stored answers the stored request and opens nothing: one check run
// and one comment, and the check run's Approve button works.
func TestRetriedCreateOpensNoSecondCheckRun(t *testing.T) {
	t.Parallel()
	for _, tc := range prCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newReplicas(t, 2)
			h.gs.SetPermission(standinRepo, "carol", "write")
			tok, body := h.runFor(tc.pr), h.body(tc.pr)
			code1, v1 := h.createOn(0, tok, body)
			code2, v2 := h.createOn(1, tok, body)
			if code1 != http.StatusCreated || code2 != http.StatusOK || v1.ID == "" || v1.ID != v2.ID {
				t.Fatalf("creates = %d %q, %d %q; want 201 and 200 for one request", code1, v1.ID, code2, v2.ID)
			}
			runs, cs := asking(t, h.gs.CheckRuns(standinRepo)), h.comments(tc.pr)
			stored := h.request(v1.ID)
			if len(runs) != 1 || stored.CheckRunID != runs[0].ID || len(cs) != 1 || stored.CommentID != cs[0].ID {
				t.Fatalf("%d check runs, %d comments; stored check run %d comment %d", len(runs), len(cs), stored.CheckRunID, stored.CommentID)
			}
			h.approve(tok, v1.ID, runs[0].ID)
		})
	}
}

// approve clicks Approve on check run cr as carol and waits for the gate
// to see the request approved.
func (r *replicas) approve(tok, id string, cr int64) {
	r.t.Helper()
	if code, err := r.gs.ClickAction(standinRepo, cr, "approve", "carol"); err != nil || code != http.StatusOK {
		r.t.Fatalf("click: %d %v", code, err)
	}
	if _, got := r.get(tok, id, "2s"); got.Status != gate.StatusApproved {
		r.t.Fatalf("after carol's click: %s, want approved", got.Status)
	}
}

// A request stored without a check run (GitHub refused it) gets one from
// a repeated create on any replica. If the new check run's id cannot be
// recorded, the check run still approves the request: its button names
// the request by external id.
func TestRepeatedCreateOpensAMissingCheckRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		failUpdate bool
	}{
		{"recorded", false},
		{"not recorded, still works", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newReplicas(t, 2)
			h.gs.SetPermission(standinRepo, "carol", "write")
			h.gs.InjectFault("POST", "/repos/{owner}/{repo}/check-runs", 1,
				ghstandin.Fault{Status: http.StatusUnprocessableEntity, Body: `{"message":"Validation Failed"}`})
			tok, body := h.run(), h.body(0)
			code1, v1 := h.createOn(0, tok, body)
			if code1 != http.StatusCreated || h.request(v1.ID).CheckRunID != 0 || len(h.gs.CheckRuns(standinRepo)) != 0 {
				t.Fatalf("first create = %d, stored check run %d, %d on GitHub; want 201 with none", code1, h.request(v1.ID).CheckRunID, len(h.gs.CheckRuns(standinRepo)))
			}
			h.fs.failUpdate.Store(tc.failUpdate)
			code2, v2 := h.createOn(1, tok, body)
			h.fs.failUpdate.Store(false)
			runs := asking(t, h.gs.CheckRuns(standinRepo))
			if code2 != http.StatusOK || v2.ID != v1.ID || len(runs) != 1 {
				t.Fatalf("retry = %d %q with %d check runs, want 200 %q with 1", code2, v2.ID, len(runs), v1.ID)
			}
			stored := h.request(v1.ID)
			if want := map[bool]int64{false: runs[0].ID, true: 0}[tc.failUpdate]; stored.CheckRunID != want {
				t.Fatalf("stored check run %d, want %d", stored.CheckRunID, want)
			}
			if !tc.failUpdate && (len(h.comments(0)) != 1 || stored.CommentID != h.comments(0)[0].ID) {
				t.Fatalf("comments %+v, stored comment %d", h.comments(0), stored.CommentID)
			}
			h.approve(tok, v1.ID, runs[0].ID)
		})
	}
}
