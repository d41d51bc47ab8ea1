// Command stub is a stand-in for the stepgate App and the runner's OIDC
// token endpoint, for scripts/container-test.sh: the container under test
// talks to it over the host's loopback. It decides at once from the
// command's text: a command containing "stepgate-test-reject" is rejected,
// anything else is allowed. It writes its base URL to the file named by
// -url-file and appends every create, result and cancel as a JSON line to
// -log.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/gate"
)

func main() {
	urlFile := flag.String("url-file", "", "write the base URL here once listening")
	logFile := flag.String("log", "", "append received calls here (JSON lines)")
	flag.Parse()
	if err := run(*urlFile, *logFile); err != nil {
		fmt.Fprintln(os.Stderr, "stub:", err)
		os.Exit(1)
	}
}

type stub struct {
	base string
	mu   sync.Mutex
	log  *os.File
	reqs map[string]gate.RequestView
}

func run(urlFile, logFile string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	s := &stub{base: "http://" + l.Addr().String(), log: f, reqs: map[string]gate.RequestView{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /token", s.token)
	mux.HandleFunc("POST /api/v1/requests", s.create)
	mux.HandleFunc("GET /api/v1/requests/{id}", s.get)
	mux.HandleFunc("POST /api/v1/requests/{id}/{what}", s.report)
	if err := os.WriteFile(urlFile, []byte(s.base), 0o644); err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return srv.Serve(l)
}

// token is the runner's ACTIONS_ID_TOKEN_REQUEST_URL: it checks the request
// token and mints a "token" naming its audience, which the API checks.
func (s *stub) token(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer container-test" {
		http.Error(w, "bad request token", http.StatusUnauthorized)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"value": "oidc-for-" + r.URL.Query().Get("audience")})
}

func (s *stub) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer oidc-for-"+s.base {
		writeJSON(w, http.StatusUnauthorized, gate.ErrorBody{Error: "bad OIDC token"})
		return false
	}
	return true
}

func (s *stub) create(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	var req gate.CreateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, gate.ErrorBody{Error: err.Error()})
		return
	}
	v := gate.RequestView{
		ID: "sg_container", Status: gate.StatusAllowed, Command: req.Command, CommandSHA256: req.CommandSHA256,
		Shell: req.Shell, WorkingDirectory: req.WorkingDirectory, Rule: "container-test",
		Risk: gate.RiskView{Level: "low", Score: 10}, CreatedAt: time.Now(), DecidedAt: time.Now(),
	}
	if strings.Contains(req.Command, "stepgate-test-reject") {
		v.Status, v.ApprovedBy, v.Reason = gate.StatusRejected, []string{"reviewer"}, "rejected by the container test"
	}
	s.mu.Lock()
	s.reqs[v.ID] = v
	s.mu.Unlock()
	s.record("create", req)
	writeJSON(w, http.StatusCreated, v)
}

func (s *stub) get(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	s.mu.Lock()
	v, ok := s.reqs[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, gate.ErrorBody{Error: "no such request"})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *stub) report(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	s.record(r.PathValue("what"), body)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *stub) record(kind string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"kind": kind, "body": v})
	s.log.Write(append(b, '\n'))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
