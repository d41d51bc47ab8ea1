package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/app/server"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/store/boltstore"
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

// replicas are App servers sharing one store and one GitHub stand-in, so a
// retried create can land on a replica that did not create the request
// (the only way through the public API to reach the duplicate and adopt
// paths: the creating replica answers repeats from the store).
type replicas struct {
	*realHarness
	fs   *flakyStore
	urls []string
}

func newReplicas(t *testing.T, n int) *replicas {
	t.Helper()
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: testSecret})
	gs.AddRepo(ghstandin.Repo{FullName: standinRepo})
	bolt, err := boltstore.Open(boltstore.Options{Path: filepath.Join(t.TempDir(), "stepgate.db"), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bolt.Close() })
	fs := &flakyStore{Store: bolt}
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
	gh, err := ghclient.New(ghclient.Config{AppID: r.gs.AppID(), PrivateKey: r.gs.AppPrivateKeyPEM(), APIURL: r.gs.URL(), FileCacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: r.fs, GitHub: gh, PublicURL: publicURL, OIDCIssuer: r.iss.URL(),
		WebhookSecrets: []string{testSecret}, BotLogin: r.gs.BotLogin(), PollInterval: 20 * time.Millisecond, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return hs.URL
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

func withdrawn(c ghstandin.CheckRun) bool {
	return c.Status == "completed" && c.Conclusion == "neutral" && len(c.Actions) == 0
}

// split sorts check runs into the one still asking for approval and the
// withdrawn ones; anything else fails the test.
func split(t *testing.T, runs []ghstandin.CheckRun) (active []ghstandin.CheckRun, gone []ghstandin.CheckRun) {
	t.Helper()
	for _, c := range runs {
		switch {
		case c.Conclusion == "action_required" && len(c.Actions) > 0:
			active = append(active, c)
		case withdrawn(c):
			gone = append(gone, c)
		default:
			t.Errorf("check run %d: status %q conclusion %q with %d actions, want active or withdrawn", c.ID, c.Status, c.Conclusion, len(c.Actions))
		}
	}
	return active, gone
}

func checkRunMentions(c ghstandin.CheckRun, s string) bool {
	return strings.Contains(c.Title+"\n"+c.Summary+"\n"+c.Text, s)
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

// A failed create write answers 503 (the gate fails closed) and withdraws
// the check run and comment opened for it; nothing is stored, and a retry
// once the store is back opens a fresh, working check run.
func TestWithdrawOnStoreFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range prCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newReplicas(t, 1)
			tok, body := h.runFor(tc.pr), h.body(tc.pr)
			h.fs.failCreate.Store(true)
			code, _ := h.create(tok, body)
			if code != http.StatusServiceUnavailable {
				t.Fatalf("create during outage = %d, want 503", code)
			}
			runs := h.gs.CheckRuns(standinRepo)
			if len(runs) != 1 || !withdrawn(runs[0]) || !checkRunMentions(runs[0], "could not record") {
				t.Fatalf("check runs after outage = %+v, want one withdrawn saying it could not be recorded", runs)
			}
			cs := h.comments(tc.pr)
			if len(cs) != 1 || !strings.Contains(cs[0].Body, "could not record this request") || cs[0].Edits == 0 {
				t.Fatalf("comments after outage = %+v, want one replaced by the withdrawal note", cs)
			}
			id := runs[0].ExternalID
			if _, err := h.fs.Store.GetRequest(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("stored request after outage: err %v, want ErrNotFound", err)
			}
			h.fs.failCreate.Store(false)
			code, v := h.create(tok, body)
			if code != http.StatusCreated || v.ID != id {
				t.Fatalf("retry = %d %s, want 201 %s", code, v.ID, id)
			}
			active, gone := split(t, h.gs.CheckRuns(standinRepo))
			if len(active) != 1 || len(gone) != 1 || h.request(id).CheckRunID != active[0].ID {
				t.Fatalf("after retry: %d active, %d withdrawn; stored check run %d", len(active), len(gone), h.request(id).CheckRunID)
			}
		})
	}
}

// A retried create that reaches another replica after the request was
// stored closes its own check run as a duplicate; both answers name the
// same request, and the surviving check run's Approve button works.
func TestWithdrawDuplicateCreate(t *testing.T) {
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
			active, gone := split(t, h.gs.CheckRuns(standinRepo))
			stored := h.request(v1.ID)
			if len(active) != 1 || len(gone) != 1 || stored.CheckRunID != active[0].ID {
				t.Fatalf("%d active, %d withdrawn check runs; stored check run %d", len(active), len(gone), stored.CheckRunID)
			}
			if !checkRunMentions(gone[0], "duplicate of an earlier check run for request") || !checkRunMentions(gone[0], v1.ID) {
				t.Errorf("withdrawn check run does not point at the request: %q / %q", gone[0].Summary, gone[0].Text)
			}
			var notes int
			for _, c := range h.comments(tc.pr) {
				if strings.HasPrefix(c.Body, "stepgate: duplicate of an earlier check run") {
					notes++
				} else if c.ID != stored.CommentID {
					t.Errorf("comment %d is neither the request's nor a withdrawal note: %q", c.ID, c.Body)
				}
			}
			if notes != 1 {
				t.Errorf("withdrawn comments = %d, want 1", notes)
			}
			h.approve(tok, v1.ID, active[0].ID)
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

// A request stored without a check run (GitHub refused it on the first
// replica) adopts the one a retried create opens on another replica, in
// one store update and with no PATCH to GitHub; if that update fails the
// new check run is withdrawn instead.
func TestWithdrawOrAdopt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		failUpdate bool
	}{
		{"adopted", false},
		{"update fails: withdrawn", true},
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
			stored := h.request(v1.ID)
			if tc.failUpdate {
				// The adoption could not be recorded: the run is withdrawn,
				// no other is opened, and the gate is told to retry (503).
				active, gone := split(t, h.gs.CheckRuns(standinRepo))
				if code2 != http.StatusServiceUnavailable {
					t.Fatalf("retry = %d, want 503", code2)
				}
				if len(active) != 0 || len(gone) != 1 || !checkRunMentions(gone[0], "could not record this check run") || stored.CheckRunID != 0 {
					t.Fatalf("%d active, %d withdrawn check runs, stored id %d; want the adopted one withdrawn, none active, none stored", len(active), len(gone), stored.CheckRunID)
				}
				// The gate's next attempt adopts a fresh check run.
				code3, v3 := h.createOn(1, tok, body)
				if code3 != http.StatusOK || v3.ID != v1.ID || h.request(v1.ID).CheckRunID == 0 {
					t.Fatalf("second retry = %d %q (stored check run %d), want 200 %q with one recorded", code3, v3.ID, h.request(v1.ID).CheckRunID, v1.ID)
				}
				h.approve(tok, v1.ID, h.request(v1.ID).CheckRunID)
				return
			}
			if code2 != http.StatusOK || v2.ID != v1.ID {
				t.Fatalf("retry = %d %q, want 200 %q", code2, v2.ID, v1.ID)
			}
			runs := h.gs.CheckRuns(standinRepo)
			if len(runs) != 1 {
				t.Fatalf("check runs = %d, want 1", len(runs))
			}
			cs := h.comments(0)
			if stored.CheckRunID != runs[0].ID || runs[0].Updates != 0 || len(cs) != 1 || stored.CommentID != cs[0].ID {
				t.Fatalf("stored check run %d comment %d; GitHub run %+v, comments %+v", stored.CheckRunID, stored.CommentID, runs[0], cs)
			}
			h.approve(tok, v1.ID, runs[0].ID)
		})
	}
}
