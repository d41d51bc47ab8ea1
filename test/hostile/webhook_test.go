package hostile

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/benchrig/rigtest"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

// Hostile deliveries on POST /webhook: oversized, unsigned, mis-signed,
// not JSON, form-encoded; and signed comments that look like commands but
// are not (homoglyphs, bidi controls, NULs, a megabyte of text). None may
// decide the pending request, none may cause a 5xx, and the App keeps
// serving.
func TestHostileWebhooksDecideNothing(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	app := rigtest.StartApp(t, ctx, w.AppConfig("bolt:"+t.TempDir()+"/stepgate.db"))
	w.Standin.SetWebhookTarget(app.URL + "/webhook")
	pending := rigtest.CreatePending(t, ctx, w, app, "./migrate.sh --env prod", "s1")
	api, tok, v := pending.API, pending.Token, pending.Request
	for _, tc := range hostileDeliveries(w.Secret) {
		t.Run(tc.name, func(t *testing.T) { postHostileDelivery(t, ctx, app.URL+"/webhook", tc) })
	}
	postLookalikeComments(t, w, v.ID)
	code, got, err := api.JSON(ctx, "GET", "/api/v1/requests/"+v.ID, tok, nil)
	if err != nil || code != 200 {
		t.Fatalf("GET = %d %v", code, err)
	}
	if got.Status != gate.StatusPending || len(got.Approvals) != 0 {
		t.Errorf("after hostile comments: status %q with approvals %v, want pending with none", got.Status, got.Approvals)
	}
	// The genuine command still works, so the refusals above are meaningful.
	if st, err := w.Standin.PostIssueComment(benchrig.Repo, benchrig.PR, benchrig.Reviewer, "/stepgate approve "+v.ID); err != nil || st >= 300 {
		t.Fatalf("genuine comment: %d %v", st, err)
	}
	if _, got, _ = api.JSON(ctx, "GET", "/api/v1/requests/"+v.ID, tok, nil); got.Status != gate.StatusApproved {
		t.Errorf("genuine /stepgate approve: status %q, want approved", got.Status)
	}
	stillServes(t, ctx, w, app, 2)
}

// hostileDelivery is a webhook delivery and the status it must get.
type hostileDelivery struct {
	name, event, ct, sig string
	body                 []byte
	want                 int // 0: any non-5xx
}

// hostileDeliveries are oversized, unsigned, mis-signed and malformed
// deliveries; "signed" ones carry a valid signature with secret.
func hostileDeliveries(secret string) []hostileDelivery {
	signed := func(b []byte) string { return ghstandin.Sign(secret, b) }
	big := append([]byte(`{"action":"created","x":"`), bytes.Repeat([]byte("a"), 6<<20)...)
	big = append(big, `"}`...)
	return []hostileDelivery{
		{"over the size limit", "issue_comment", "application/json", signed(big), big, 413},
		{"no signature", "check_run", "application/json", "", []byte(`{}`), 401},
		{"wrong secret", "check_run", "application/json", ghstandin.Sign("not-the-secret", []byte(`{}`)), []byte(`{}`), 401},
		{"sha1 signature", "check_run", "application/json", "sha1=" + strings.Repeat("0", 40), []byte(`{}`), 401},
		{"signature not hex", "check_run", "application/json", "sha256=zz" + strings.Repeat("0", 62), []byte(`{}`), 401},
		{"signed, not JSON", "check_run", "application/json", signed([]byte("{not json")), []byte("{not json"), 0},
		{"signed, form-encoded", "issue_comment", "application/x-www-form-urlencoded", signed([]byte("payload=%7B%7D")), []byte("payload=%7B%7D"), 0},
		{"signed, JSON of the wrong shape", "issue_comment", "application/json", signed([]byte(`[1,2,3]`)), []byte(`[1,2,3]`), 0},
		{"signed, deeply nested", "check_run", "application/json", signed([]byte(strings.Repeat("[", 50000))), []byte(strings.Repeat("[", 50000)), 0},
	}
}

// postHostileDelivery posts tc to url: the status wanted, never a 5xx.
func postHostileDelivery(t *testing.T, ctx context.Context, url string, tc hostileDelivery) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", tc.ct)
	req.Header.Set("X-GitHub-Event", tc.event)
	req.Header.Set("X-GitHub-Delivery", "hostile-"+strings.ReplaceAll(tc.name, " ", "-"))
	if tc.sig != "" {
		req.Header.Set("X-Hub-Signature-256", tc.sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tc.want != 0 && resp.StatusCode != tc.want {
		t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
	}
	if resp.StatusCode >= 500 {
		t.Errorf("status %d: hostile input must not be a server error", resp.StatusCode)
	}
}

// postLookalikeComments posts signed PR comments that look like approving
// request id but are not; none may be a server error.
func postLookalikeComments(t *testing.T, w *benchrig.World, id string) {
	t.Helper()
	for _, body := range []string{
		"/st\u0435pgate approve " + id,        // Cyrillic е
		"/stepgate\u202e approve " + id,       // bidi override
		"/stepgate appr\u200bove " + id,       // zero-width space
		"/stepgate approve\x00 " + id,         // NUL
		"／stepgate approve " + id,             // fullwidth solidus
		strings.Repeat("lorem ipsum ", 90000), // ~1 MB, no command
	} {
		st, err := w.Standin.PostIssueComment(benchrig.Repo, benchrig.PR, benchrig.Reviewer, body)
		if err != nil {
			t.Fatal(err)
		}
		if st >= 500 {
			t.Errorf("comment %q: status %d", truncate([]byte(body)), st)
		}
	}
}
