package hook

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/action"
)

// fakeApp speaks the gate API (DESIGN.md "HTTP surface of the App") with
// scripted answers, and mints OIDC tokens like the runner's
// ACTIONS_ID_TOKEN_REQUEST_URL.
type fakeApp struct {
	t        *testing.T
	srv      *httptest.Server
	tokenSrv *httptest.Server

	mu        sync.Mutex
	created   []gate.CreateRequest
	cancelled int
	// create returns the view the App answers with (status etc.); the
	// id and hash are filled in. pollTo is the status a long-poll ends
	// with ("" = hold the poll pending until its wait runs out).
	create     func(gate.CreateRequest) gate.RequestView
	pollTo     gate.RequestView
	refuseAuth bool // answer 401 to every call
	tokenDown  bool // the token endpoint answers 500
}

func newFakeApp(t *testing.T) *fakeApp {
	f := &fakeApp{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/requests", f.handleCreate)
	mux.HandleFunc("GET /api/v1/requests/{id}", f.handleGet)
	mux.HandleFunc("POST /api/v1/requests/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.cancelled++
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{}`))
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		refuse := f.refuseAuth
		f.mu.Unlock()
		if refuse || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer jwt-for-"+f.srv.URL) {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(gate.ErrorBody{Error: "invalid OIDC token: signature"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.tokenSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		down := f.tokenDown
		f.mu.Unlock()
		if down || r.Header.Get("Authorization") != "Bearer runner-token" {
			http.Error(w, "token service unavailable", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"value": "jwt-for-" + r.URL.Query().Get("audience")})
	}))
	t.Cleanup(f.tokenSrv.Close)
	return f
}

func (f *fakeApp) handleCreate(w http.ResponseWriter, r *http.Request) {
	var body gate.CreateRequest
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.created = append(f.created, body)
	create := f.create
	f.mu.Unlock()
	v := gate.RequestView{Status: gate.StatusPending}
	if create != nil {
		v = create(body)
	}
	v.ID, v.CommandSHA256, v.Command = "sg_test", body.CommandSHA256, body.Command
	v.Source, v.Agent, v.AgentSession, v.ToolCallID = body.Source, body.Agent, body.AgentSession, body.ToolCallID
	f.mu.Lock()
	f.pollTo.ID, f.pollTo.CommandSHA256 = v.ID, body.CommandSHA256
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeApp) handleGet(w http.ResponseWriter, r *http.Request) {
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	f.mu.Lock()
	v := f.pollTo
	f.mu.Unlock()
	if v.Status == "" || v.Status == gate.StatusPending {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
		v.Status = gate.StatusPending
	}
	json.NewEncoder(w).Encode(v)
}

// options are gate/action's, pointed at the fake, with quick retries.
func (f *fakeApp) options() action.Options {
	env := map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   f.tokenSrv.URL + "/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-token",
		"GITHUB_JOB":                     "agent", "GITHUB_ACTION": "run-claude",
		"GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
	}
	return action.Options{
		Getenv:   func(k string) string { return env[k] },
		Environ:  func() []string { return nil },
		Stderr:   io.Discard,
		Stdout:   io.Discard,
		Retry:    action.RetryPolicy{Attempts: 2, Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond},
		PollWait: time.Second,
	}
}

func (f *fakeApp) asker() Asker {
	return AppAsker(AppConfig{Server: f.srv.URL}, f.options())
}

func (f *fakeApp) requests() []gate.CreateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]gate.CreateRequest(nil), f.created...)
}
