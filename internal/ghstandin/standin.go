// Package ghstandin is a local stand-in for the parts of the GitHub REST API
// and webhooks that stepgate uses. It listens on 127.0.0.1, keeps all state
// in memory, authenticates like GitHub (App JWT signed with the App's key,
// installation tokens), records every call with its templated route, can
// inject faults (5xx, rate limits) and, when given a Validator, checks every
// request and response against GitHub's OpenAPI description.
//
// It also plays GitHub towards the App: it signs and delivers webhooks
// (check_run requested_action, issue_comment, commit_comment, installation)
// built from its state, and serves a small HTML page (/_standin/) where a
// human clicks check run buttons and posts comments during the demo.
//
// Only what stepgate calls is served; anything else is 404 like a GitHub
// route that does not exist.
package ghstandin

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Validator checks traffic against an API description. The OpenAPI-backed
// implementation lives in package standintest so that the demo binary does
// not load GitHub's 10 MB description.
type Validator interface {
	// ValidateRequest checks an incoming API request; body is the request body.
	ValidateRequest(r *http.Request, body []byte) error
	// ValidateResponse checks the response the stand-in is about to send.
	ValidateResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error
}

// Options configures a Server. Zero values are usable.
type Options struct {
	AppID   int64  // default 4242
	AppSlug string // default "stepgate"; the bot login is AppSlug+"[bot]"
	AppName string // default "stepgate"
	// AppKey is the App's private key; generated when nil. Give it to the
	// client through AppPrivateKeyPEM.
	AppKey *rsa.PrivateKey
	// WebhookSecret signs outgoing webhooks (X-Hub-Signature-256).
	WebhookSecret string
	// WebhookTarget is where ClickAction and the Post… methods deliver;
	// SetWebhookTarget changes it later.
	WebhookTarget string
	// TokenTTL is the lifetime of installation tokens (GitHub: 1h).
	TokenTTL time.Duration
	// Validator, when set, checks every API request and response; failures
	// are collected in ValidationErrors.
	Validator Validator
	Logger    *slog.Logger
	// HTTPClient delivers webhooks; default a client with a 10s timeout.
	HTTPClient *http.Client
	// DeliverOwnComments makes comments the App creates through the API
	// come back as issue_comment / commit_comment webhooks (sender type
	// Bot), asynchronously, as GitHub does; the App must ignore them.
	DeliverOwnComments bool
	// MaxCalls bounds the call log (default 50,000); beyond it the oldest
	// half is dropped, so long benchmarks do not grow memory without end.
	MaxCalls int
}

// Server is a running GitHub stand-in.
type Server struct {
	opts   Options
	srv    *httptest.Server
	mux    *http.ServeMux
	log    *slog.Logger
	client *http.Client

	mu         sync.Mutex
	st         state
	calls      []Call
	faults     map[string][]Fault // by "METHOD /templated/route"
	validation []error
	tokensMade int
	target     string
	hookID     int64
	async      sync.WaitGroup // deliveries of the App's own comments
	flow       manifestFlow   // GitHub App manifest flow (manifestflow.go)
}

// Call is one API request the stand-in answered.
type Call struct {
	Method string
	Route  string // templated, e.g. /repos/{owner}/{repo}/check-runs
	Path   string // raw path with query
	Status int
	Auth   string // "jwt", "token" or "" (none or invalid)
	Time   time.Time
}

// New creates a stand-in listening on 127.0.0.1; call Close when done.
func New(opts Options) *Server {
	s := newUnstarted(opts)
	s.srv.Start()
	return s
}

// NewUnstarted creates a stand-in; call Start before use.
func NewUnstarted(opts Options) *Server { return newUnstarted(opts) }

func newUnstarted(opts Options) *Server {
	if opts.AppID == 0 {
		opts.AppID = 4242
	}
	if opts.AppSlug == "" {
		opts.AppSlug = "stepgate"
	}
	if opts.AppName == "" {
		opts.AppName = opts.AppSlug
	}
	if opts.MaxCalls <= 0 {
		opts.MaxCalls = 50000
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.AppKey == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("ghstandin: generating the App key: " + err.Error())
		}
		opts.AppKey = k
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Server{
		opts:   opts,
		log:    opts.Logger,
		client: opts.HTTPClient,
		faults: map[string][]Fault{},
		target: opts.WebhookTarget,
		hookID: 500000 + opts.AppID,
		st:     newState(),
	}
	s.st.users[s.botLogin()] = &user{ID: 9000000 + opts.AppID, Login: s.botLogin(), Type: "Bot"}
	s.mux = http.NewServeMux()
	for _, rt := range s.apiRoutes() {
		s.mux.HandleFunc(rt.method+" "+rt.pattern, func(w http.ResponseWriter, r *http.Request) { s.serveAPI(w, r, rt) })
	}
	s.mux.HandleFunc("/", s.notFound)
	s.registerUI(s.mux)
	s.registerManifestFlow(s.mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("ghstandin: listening on 127.0.0.1: " + err.Error())
	}
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}}
	return s
}

// Start starts a server made by NewUnstarted.
func (s *Server) Start() { s.srv.Start() }

// URL is the API base URL, e.g. http://127.0.0.1:PORT (no trailing slash).
// The stand-in also answers under /api/v3 like GitHub Enterprise Server.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down and waits for pending deliveries.
func (s *Server) Close() {
	s.srv.Close()
	s.async.Wait()
}

// SetWebhookTarget sets where webhooks are delivered.
func (s *Server) SetWebhookTarget(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target = url
}

// AppID returns the App's id.
func (s *Server) AppID() int64 { return s.opts.AppID }

// BotLogin is the login the App posts comments as: "<slug>[bot]".
func (s *Server) BotLogin() string { return s.botLogin() }

func (s *Server) botLogin() string { return s.opts.AppSlug + "[bot]" }

// Calls returns a copy of the call log.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsSince returns the calls answered at or after t.
func (s *Server) CallsSince(t time.Time) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if !c.Time.Before(t) {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls empties the call log.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// TokensIssued counts installation tokens created so far.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokensMade
}

// ValidationErrors returns the OpenAPI validation failures seen so far.
func (s *Server) ValidationErrors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.validation...)
}

// TakeValidationErrors returns the validation failures seen so far and
// forgets them (for tests that send invalid requests on purpose).
func (s *Server) TakeValidationErrors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.validation
	s.validation = nil
	return v
}

// Fault is an injected failure answered instead of the real response.
type Fault struct {
	Status int
	Header http.Header
	Body   string // JSON
}

// ServerError is GitHub's 502/500 style answer.
func ServerError(status int) Fault {
	return Fault{Status: status, Body: `{"message":"Server Error"}`}
}

// RateLimited is a primary rate limit: 403 with x-ratelimit-remaining 0
// and x-ratelimit-reset at reset.
func RateLimited(reset time.Time) Fault {
	h := http.Header{}
	h.Set("X-Ratelimit-Limit", "5000")
	h.Set("X-Ratelimit-Remaining", "0")
	h.Set("X-Ratelimit-Used", "5000")
	h.Set("X-Ratelimit-Resource", "core")
	h.Set("X-Ratelimit-Reset", itoa(reset.Unix()))
	return Fault{Status: http.StatusForbidden, Header: h,
		Body: `{"message":"API rate limit exceeded for installation.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`}
}

// TooManyRequests is a 429 with retry-after seconds.
func TooManyRequests(retryAfterSeconds int) Fault {
	h := http.Header{}
	h.Set("Retry-After", itoa(int64(retryAfterSeconds)))
	return Fault{Status: http.StatusTooManyRequests, Header: h, Body: `{"message":"Too Many Requests"}`}
}

// SecondaryRateLimited is GitHub's secondary rate limit: 403 with
// retry-after and a message saying so.
func SecondaryRateLimited(retryAfterSeconds int) Fault {
	h := http.Header{}
	h.Set("Retry-After", itoa(int64(retryAfterSeconds)))
	return Fault{Status: http.StatusForbidden, Header: h,
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}
}

// InjectFault makes the next n requests to method+route (templated, e.g.
// "POST", "/repos/{owner}/{repo}/check-runs") answer f.
func (s *Server) InjectFault(method, route string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := method + " " + route
	for range n {
		s.faults[k] = append(s.faults[k], f)
	}
}

func (s *Server) takeFault(method, route string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := method + " " + route
	q := s.faults[k]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[k] = q[1:]
	return q[0], true
}

// reply is what an API handler answers.
type reply struct {
	status int
	header http.Header
	body   any // marshalled as JSON; nil means no body
}

func jsonReply(status int, body any) reply { return reply{status: status, body: body} }

func errReply(status int, msg string) reply {
	return reply{status: status, body: map[string]any{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest",
		"status":            itoa(int64(status)),
	}}
}

// ServeHTTP answers GitHub API routes, also under /api/v3 like GitHub
// Enterprise Server, and the /_standin/ UI.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p, ok := strings.CutPrefix(r.URL.Path, "/api/v3"); ok && strings.HasPrefix(p, "/") {
		r2 := r.Clone(r.Context())
		r2.URL.Path = p
		r2.URL.RawPath = ""
		r = r2
	}
	s.mux.ServeHTTP(w, r)
}

// serveAPI runs one API call through validation, faults, auth and the call log.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, rt route) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "reading body", http.StatusBadRequest)
		return
	}
	call := Call{Method: r.Method, Route: rt.template}
	if v := s.opts.Validator; v != nil {
		if err := v.ValidateRequest(r, body); err != nil {
			s.addValidation("request %s %s: %w", r.Method, r.URL.Path, err)
		}
	}
	// Injected faults are synthetic; their status is often undocumented for
	// the route, so only the request is validated.
	if f, ok := s.takeFault(r.Method, rt.template); ok {
		s.send(w, r, body, call, reply{status: f.Status, header: f.Header, body: json.RawMessage(f.Body)}, false)
		return
	}
	a, rep := s.authenticate(r, rt)
	call.Auth = a.kind
	if rep != nil {
		s.send(w, r, body, call, *rep, true)
		return
	}
	s.send(w, r, body, call, rt.handle(r, body, a), true)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	s.send(w, r, body, Call{Method: r.Method, Route: "unknown"}, errReply(http.StatusNotFound, "Not Found"), false)
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, reqBody []byte, call Call, rep reply, validate bool) {
	var out []byte
	h := w.Header()
	for k, vs := range rep.header {
		h[k] = vs
	}
	if rep.body != nil {
		b, err := json.Marshal(rep.body)
		if err != nil {
			rep.status, b = http.StatusInternalServerError, []byte(`{"message":"stand-in: encoding response"}`)
		}
		out = b
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	h.Set("X-GitHub-Request-Id", "STANDIN:"+itoa(time.Now().UnixNano()))
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	if validate && s.opts.Validator != nil && call.Route != "unknown" {
		if err := s.opts.Validator.ValidateResponse(r, reqBody, rep.status, h.Clone(), out); err != nil {
			s.addValidation("response %d to %s %s: %w", rep.status, r.Method, r.URL.Path, err)
		}
	}
	w.WriteHeader(rep.status)
	_, _ = io.Copy(w, bytes.NewReader(out))
	call.Path = r.URL.RequestURI()
	call.Status = rep.status
	call.Time = time.Now()
	s.mu.Lock()
	if len(s.calls) >= s.opts.MaxCalls {
		s.calls = append(s.calls[:0], s.calls[len(s.calls)/2:]...)
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()
}

func (s *Server) addValidation(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	s.log.Error("stand-in: OpenAPI validation failed", "err", err)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validation = append(s.validation, err)
}
