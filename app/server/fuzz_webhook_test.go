package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzWebhook feeds arbitrary events, bodies and signatures to POST
// /webhook. Unsigned or mis-signed deliveries are always 401; signed ones,
// however malformed, never crash the App or get a 5xx.
func FuzzWebhook(f *testing.F) {
	srv := fuzzServer(f)
	f.Add("check_run", []byte(`{"action":"requested_action","check_run":{"id":1,"external_id":"sg_aaaa"},"requested_action":{"identifier":"approve"},"repository":{"id":101,"full_name":"acme/app"},"sender":{"login":"bob","id":2,"type":"User"}}`), true, "d1")
	f.Add("issue_comment", []byte(`{"action":"created","issue":{"number":1,"pull_request":{}},"comment":{"id":5,"body":"/stepgate approve sg_aaaa","user":{"login":"bob"}},"repository":{"id":101,"full_name":"acme/app"},"sender":{"login":"bob"}}`), true, "d2")
	f.Add("issue_comment", []byte(`{"action":"edited","comment":{"body":"/stepgate freeze"}}`), true, "d3")
	f.Add("commit_comment", []byte(`{"action":"created","comment":{"commit_id":"0123","body":"/stepgate unfreeze"}}`), true, "d4")
	f.Add("installation", []byte(`{"action":"deleted","installation":{"id":1},"repositories":[{"id":101,"full_name":"acme/app"}]}`), true, "d5")
	f.Add("ping", []byte(`{}`), false, "")
	f.Add("check_run", []byte(`[`), true, "")
	f.Fuzz(func(t *testing.T, event string, body []byte, signed bool, delivery string) {
		req := httptest.NewRequest("POST", "http://stepgate.test/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", delivery)
		if signed {
			req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
		} else {
			req.Header.Set("X-Hub-Signature-256", sign("some other secret", body))
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		switch {
		case !signed && rec.Code != http.StatusUnauthorized:
			t.Fatalf("mis-signed %q delivery: status %d, want 401", event, rec.Code)
		case rec.Code >= 500:
			t.Fatalf("signed %q delivery: status %d: %s", event, rec.Code, rec.Body.Bytes())
		}
	})
}
