package action

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// fakeApp implements the gate API contract (DESIGN.md "HTTP surface") in
// memory, with hooks to script the App's answers.
type fakeApp struct {
	srv      *httptest.Server
	tokenSrv *httptest.Server

	mu sync.Mutex
	record
	view     gate.RequestView
	onCreate func(n int, req gate.CreateRequest, v *gate.RequestView) int // returns HTTP status
	onPoll   func(n int, v *gate.RequestView) int
	reject   func(r *http.Request) bool // answer 401
	// createErr, when set, is the body of a refused create.
	createErr *gate.ErrorBody
}

// record is what the fake saw.
type record struct {
	created []gate.CreateRequest
	polls   int
	waits   []string
	results []gate.ResultReport
	cancels []gate.CancelReport
	tokens  int // tokens minted
	creates int // create calls, failed ones included
}

// newFakeApp starts the App and a runner OIDC token endpoint on loopback.
func newFakeApp(t testing.TB) *fakeApp {
	f := &fakeApp{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/requests", f.create)
	mux.HandleFunc("GET /api/v1/requests/{id}", f.get)
	mux.HandleFunc("POST /api/v1/requests/{id}/result", f.result)
	mux.HandleFunc("POST /api/v1/requests/{id}/cancel", f.cancel)
	f.srv = httptest.NewServer(f.auth(mux))
	t.Cleanup(f.srv.Close)
	f.tokenSrv = httptest.NewServer(http.HandlerFunc(f.mint))
	t.Cleanup(f.tokenSrv.Close)
	return f
}

// mint behaves like ACTIONS_ID_TOKEN_REQUEST_URL: it checks the request
// token and echoes the audience into the "JWT".
func (f *fakeApp) mint(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer runner-request-token" {
		http.Error(w, "bad request token", http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.tokens++
	n := f.tokens
	f.mu.Unlock()
	aud := r.URL.Query().Get("audience")
	json.NewEncoder(w).Encode(map[string]string{"value": "jwt." + aud + "." + strconv.Itoa(n)})
}

func (f *fakeApp) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer jwt."+f.srv.URL+".") {
			writeErr(w, http.StatusUnauthorized, "bad token audience: "+r.Header.Get("Authorization"))
			return
		}
		f.mu.Lock()
		reject := f.reject
		f.mu.Unlock()
		if reject != nil && reject(r) {
			writeErr(w, http.StatusUnauthorized, "token expired")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(gate.ErrorBody{Error: msg})
}

func (f *fakeApp) create(w http.ResponseWriter, r *http.Request) {
	var req gate.CreateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	f.view = gate.RequestView{
		ID: "sg_test1", Status: gate.StatusPending, Repo: "acme/app", Command: req.Command,
		CommandSHA256: req.CommandSHA256, Shell: req.Shell, WorkingDirectory: req.WorkingDirectory,
		Environment: req.Environment, Risk: gate.RiskView{Level: "medium", Score: 40},
		Rule: "default", Requirement: "1 approval from write", AskedUsers: []string{"alice"},
		CheckRunURL: "https://github.example/acme/app/runs/1", CreatedAt: time.Unix(1700000000, 0),
	}
	code := http.StatusCreated
	if f.onCreate != nil {
		code = f.onCreate(f.creates, req, &f.view)
	}
	if code >= 300 && f.createErr != nil {
		writeJSON(w, code, f.createErr)
		return
	}
	if code >= 300 {
		writeErr(w, code, "create refused by the fake")
		return
	}
	f.created = append(f.created, req)
	writeJSON(w, code, f.view)
}

func (f *fakeApp) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.PathValue("id") != f.view.ID {
		writeErr(w, http.StatusNotFound, "no such request")
		return
	}
	f.polls++
	f.waits = append(f.waits, r.URL.Query().Get("wait"))
	code := http.StatusOK
	if f.onPoll != nil {
		code = f.onPoll(f.polls, &f.view)
	}
	if code >= 300 {
		writeErr(w, code, "poll refused by the fake")
		return
	}
	writeJSON(w, code, f.view)
}

func (f *fakeApp) result(w http.ResponseWriter, r *http.Request) {
	var rep gate.ResultReport
	json.NewDecoder(r.Body).Decode(&rep)
	f.mu.Lock()
	f.results = append(f.results, rep)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, f.view)
}

func (f *fakeApp) cancel(w http.ResponseWriter, r *http.Request) {
	var rep gate.CancelReport
	json.NewDecoder(r.Body).Decode(&rep)
	f.mu.Lock()
	f.cancels = append(f.cancels, rep)
	f.view.Status = gate.StatusCancelled
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, f.view)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// setCreate, setPoll and setReject script the fake under its lock: the
// race detector cannot see the ordering through a child process.
func (f *fakeApp) setCreate(fn func(int, gate.CreateRequest, *gate.RequestView) int) {
	f.mu.Lock()
	f.onCreate = fn
	f.mu.Unlock()
}

func (f *fakeApp) setPoll(fn func(int, *gate.RequestView) int) {
	f.mu.Lock()
	f.onPoll = fn
	f.mu.Unlock()
}

func (f *fakeApp) setReject(fn func(*http.Request) bool) {
	f.mu.Lock()
	f.reject = fn
	f.mu.Unlock()
}

// approveAfter makes the request approved by alice on the n-th poll.
func approveAfter(n int) func(int, *gate.RequestView) int {
	return func(i int, v *gate.RequestView) int {
		if i >= n {
			v.Status = gate.StatusApproved
			v.ApprovedBy = []string{"alice"}
			v.Approvals = []gate.Vote{{Login: "alice", Approve: true, Channel: "check_run"}}
		}
		return http.StatusOK
	}
}

func (f *fakeApp) snapshot() record {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.record
	r.created = append([]gate.CreateRequest(nil), r.created...)
	r.results = append([]gate.ResultReport(nil), r.results...)
	r.cancels = append([]gate.CancelReport(nil), r.cancels...)
	r.waits = append([]string(nil), r.waits...)
	return r
}
