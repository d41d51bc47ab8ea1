package faults

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/benchrig/rigtest"
)

// One Approve click delivered 100 times at once under the same delivery id
// (GitHub redelivering while the first attempt is still in flight) is
// processed once: one answer is the vote, 99 are duplicates, and the
// approval counts once — on a two-approval rule the request stays pending.
func TestRedeliveryStormProcessedOnce(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	app := rigtest.StartApp(t, ctx, w.AppConfig("bolt:"+t.TempDir()+"/stepgate.db"))
	w.Standin.SetWebhookTarget(app.URL + "/webhook")
	pending := rigtest.CreatePending(t, ctx, w, app, "echo two-person storm", "s1")
	api, tok, v, cr := pending.API, pending.Token, pending.Request, pending.CheckRun
	p, err := w.Standin.CheckRunRequestedActionPayload(benchrig.Repo, cr, "approve", benchrig.Reviewer)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(p)
	const n = 100
	outcomes := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := w.Standin.SendRawWebhook(ctx, app.URL+"/webhook", "check_run", "storm-delivery-1", body)
			if err != nil {
				outcomes <- "error: " + err.Error()
				return
			}
			defer resp.Body.Close()
			var st struct{ Status string }
			b, _ := io.ReadAll(resp.Body)
			_ = json.Unmarshal(b, &st)
			if resp.StatusCode >= 300 {
				st.Status = "http " + resp.Status
			}
			outcomes <- st.Status
		})
	}
	wg.Wait()
	close(outcomes)
	counts := map[string]int{}
	for o := range outcomes {
		counts[o]++
	}
	if counts["duplicate"] != n-1 {
		t.Errorf("answers = %v, want %d duplicates and one processed", counts, n-1)
	}
	code, v, err := api.JSON(ctx, "GET", "/api/v1/requests/"+v.ID, tok, nil)
	if err != nil || code != 200 {
		t.Fatalf("GET = %d %v", code, err)
	}
	if v.Status != gate.StatusPending || len(v.Approvals) != 1 {
		t.Errorf("after the storm: status %q with %d approvals (%v), want pending with exactly 1", v.Status, len(v.Approvals), v.Approvals)
	}
}

// Two replicas share one DynamoDB table. bob approves on replica A while
// carol approves on replica B, at the same moment, many times over: every
// two-approval request ends approved by both, exactly once; and one
// reviewer clicking on both replicas at once counts once.
func TestTwoReviewersAtOnceOnTwoReplicas(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	table, ep := uniqueTable(t), rigtest.DynamoEndpoint(t)
	var apps [2]*benchrig.App
	for i := range apps {
		cfg := w.AppConfig("dynamodb:" + table)
		cfg.DynamoEndpoint = ep
		apps[i] = rigtest.StartApp(t, ctx, cfg)
	}
	w.Standin.SetWebhookTarget(apps[0].URL + "/webhook")
	api := benchrig.NewAPI(apps[0].URL)
	tok, err := w.Token(1, apps[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 8
	for i := range rounds {
		code, v, err := api.JSON(ctx, "POST", "/api/v1/requests", tok, benchrig.CreateBody("echo two-person round", "r"+string(rune('a'+i))))
		if err != nil || code != 201 {
			t.Fatalf("round %d: create = %d %v", i, code, err)
		}
		cr, err := w.CheckRun(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		clickAtOnce(t, ctx, w, cr, [][2]string{{apps[0].URL, benchrig.Reviewer}, {apps[1].URL, benchrig.Second}})
		code, got, err := api.JSON(ctx, "GET", "/api/v1/requests/"+v.ID, tok, nil)
		if err != nil || code != 200 {
			t.Fatalf("round %d: GET = %d %v", i, code, err)
		}
		if got.Status != gate.StatusApproved || len(got.ApprovedBy) != 2 {
			t.Errorf("round %d: status %q approved by %v, approvals %d, want approved by both", i, got.Status, got.ApprovedBy, len(got.Approvals))
		}
	}
	// The same reviewer on both replicas at once counts once.
	code, v, err := api.JSON(ctx, "POST", "/api/v1/requests", tok, benchrig.CreateBody("echo two-person same reviewer", "same"))
	if err != nil || code != 201 {
		t.Fatalf("create = %d %v", code, err)
	}
	cr, err := w.CheckRun(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	clickAtOnce(t, ctx, w, cr, [][2]string{{apps[0].URL, benchrig.Reviewer}, {apps[1].URL, benchrig.Reviewer}})
	_, got, err := api.JSON(ctx, "GET", "/api/v1/requests/"+v.ID, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != gate.StatusPending || len(got.Approvals) != 1 {
		t.Errorf("one reviewer twice: status %q, %d approvals, want pending with 1", got.Status, len(got.Approvals))
	}
}

// clickAtOnce delivers one Approve click per (replica URL, login) at the
// same moment, each with its own delivery id, and wants them all accepted.
func clickAtOnce(t *testing.T, ctx context.Context, w *benchrig.World, cr int64, clicks [][2]string) {
	t.Helper()
	bodies := make([][]byte, len(clicks))
	for i, c := range clicks {
		p, err := w.Standin.CheckRunRequestedActionPayload(benchrig.Repo, cr, "approve", c[1])
		if err != nil {
			t.Fatal(err)
		}
		bodies[i], _ = json.Marshal(p)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range clicks {
		wg.Go(func() {
			<-start
			resp, err := w.Standin.SendRawWebhook(ctx, c[0]+"/webhook", "check_run", delivery(cr, i), bodies[i])
			if err != nil {
				t.Errorf("click %d: %v", i, err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				t.Errorf("click %d on %s: %s %s", i, c[0], resp.Status, b)
			}
			t.Logf("click %d by %s on replica %d: %s", i, c[1], i, b)
		})
	}
	close(start)
	wg.Wait()
}

func delivery(cr int64, i int) string {
	return "click-" + time.Now().Format("150405.000000000") + "-" + string(rune('a'+i)) + "-" + jsonInt(cr)
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
