package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/gate"
)

// fuzzServer is one Server for every input of a fuzz target: bolt without
// fsync, the GitHub stand-in behind the real client, the shared local issuer; requests go straight to
// the handler, so an iteration costs no network.
func fuzzServer(f *testing.F) *Server {
	f.Helper()
	iss, err := sharedIssuer()
	if err != nil {
		f.Fatal(err)
	}
	st, err := boltstore.Open(boltstore.Options{Path: filepath.Join(f.TempDir(), "stepgate.db"), NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	gh := newStandinGitHub(f)
	gh.setPerm(repoA, "bob", "write")
	srv, err := New(Config{Store: st, GitHub: gh.client, PublicURL: publicURL, OIDCIssuer: iss.URL(),
		WebhookSecrets: []string{testSecret}, BotLogin: "stepgate[bot]", SweepInterval: time.Hour, MaxWait: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Run(ctx) })
	f.Cleanup(func() { cancel(); wg.Wait() })
	return srv
}

// FuzzGateAPI feeds arbitrary bodies, content types and paths to the gate
// API under a valid token of repository A. Whatever comes in: no panic, no
// 5xx, every refusal is a JSON error, and whatever is created or read
// belongs to repository A and passed validation.
func FuzzGateAPI(f *testing.F) {
	srv := fuzzServer(f)
	iss, _ := sharedIssuer()
	tok := iss.Mint(claims(repoA, repoAID, 77), publicURL, time.Hour)
	valid, _ := json.Marshal(gate.CreateRequest{Command: "./deploy.sh", CommandSHA256: strings.Repeat("a", 64), Shell: "bash", Job: "j", Step: "s"})
	f.Add(uint8(0), "", "application/json", valid)
	f.Add(uint8(0), "", "application/json", []byte(`{"command":"ls","command_sha256":"`+strings.Repeat("0", 64)+`","approvers":["team:acme/sre"],"timeout_seconds":60}`))
	f.Add(uint8(0), "", "text/plain", valid)
	f.Add(uint8(0), "", "application/json", []byte(`{"command":"\u202erm -rf /\u0000","command_sha256":"x"}`))
	f.Add(uint8(1), "sg_aaaa", "", []byte(nil))
	f.Add(uint8(1), "sg_aaaa?wait=1ms", "", []byte(nil))
	f.Add(uint8(2), "sg_aaaa", "application/json", []byte(`{"exit_code":0,"duration_ms":-1}`))
	f.Add(uint8(3), "sg_aaaa", "application/json", []byte(`{"reason":"x"}`))
	f.Fuzz(func(t *testing.T, route uint8, id, ct string, body []byte) {
		method, path := "POST", "/api/v1/requests"
		switch route % 4 {
		case 1:
			method, path = "GET", "/api/v1/requests/"+id
		case 2:
			path = "/api/v1/requests/" + id + "/result"
		case 3:
			path = "/api/v1/requests/" + id + "/cancel"
		}
		req, err := http.NewRequest(method, "http://stepgate.test"+path, bytes.NewReader(body))
		if err != nil {
			return // not a URL a client could send
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		code := rec.Code
		if code >= 500 {
			t.Fatalf("%s %s: status %d: %s", method, path, code, rec.Body.Bytes())
		}
		if code >= 300 && code < 400 && rec.Header().Get("Location") != "" {
			return // the mux cleaning a path like /requests//cancel
		}
		if code >= 300 {
			var eb gate.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error == "" {
				t.Fatalf("%s %s: status %d without a JSON error: %q", method, path, code, rec.Body.Bytes())
			}
			return
		}
		var v gate.RequestView
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: status %d with a body that is not a request: %v", method, path, code, err)
		}
		if v.Repo != repoA {
			t.Fatalf("%s %s: answered with a request of %q", method, path, v.Repo)
		}
		if strings.TrimSpace(v.Command) == "" || len(v.CommandSHA256) != 64 {
			t.Fatalf("%s %s: created a request with command %q hash %q", method, path, v.Command, v.CommandSHA256)
		}
	})
}
