// Package oidcissuer is a local OpenID Connect issuer shaped like GitHub
// Actions' (https://token.actions.githubusercontent.com): discovery
// document, JWKS, RS256 ID tokens with GitHub's claim names, and the runner
// side endpoint a job calls through ACTIONS_ID_TOKEN_REQUEST_URL and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN. Tests and the demo use it in place of
// GitHub; it listens on 127.0.0.1 only.
package oidcissuer

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Claims are the job facts GitHub puts in an Actions ID token. GitHub sends
// ids and numbers as strings; so do we.
type Claims struct {
	Repository        string `json:"repository,omitempty"`
	RepositoryID      string `json:"repository_id,omitempty"`
	RepositoryOwner   string `json:"repository_owner,omitempty"`
	RepositoryOwnerID string `json:"repository_owner_id,omitempty"`
	RunID             string `json:"run_id,omitempty"`
	RunNumber         string `json:"run_number,omitempty"`
	RunAttempt        string `json:"run_attempt,omitempty"`
	Actor             string `json:"actor,omitempty"`
	ActorID           string `json:"actor_id,omitempty"`
	Ref               string `json:"ref,omitempty"`
	RefType           string `json:"ref_type,omitempty"`
	SHA               string `json:"sha,omitempty"`
	EventName         string `json:"event_name,omitempty"`
	Environment       string `json:"environment,omitempty"`
	Workflow          string `json:"workflow,omitempty"`
	JobWorkflowRef    string `json:"job_workflow_ref,omitempty"`
	JobWorkflowSHA    string `json:"job_workflow_sha,omitempty"`
	WorkflowRef       string `json:"workflow_ref,omitempty"`
	WorkflowSHA       string `json:"workflow_sha,omitempty"`
	CheckRunID        string `json:"check_run_id,omitempty"` // the job's own check run: one per matrix leg and reusable-workflow job
	RunnerEnvironment string `json:"runner_environment,omitempty"`
	HeadRef           string `json:"head_ref,omitempty"`
	BaseRef           string `json:"base_ref,omitempty"`
	// Subject overrides sub; by default it is built like GitHub's:
	// repo:OWNER/REPO:environment:ENV, or repo:OWNER/REPO:ref:REF.
	Subject string `json:"-"`
}

// Options configures an Issuer.
type Options struct {
	Logger *slog.Logger
	// Key signs tokens; generated when nil.
	Key *rsa.PrivateKey
}

// Issuer is a running local OIDC issuer.
type Issuer struct {
	srv   *httptest.Server
	key   jose.JSONWebKey // private, with kid
	other jose.JSONWebKey // a key the JWKS does not publish
	log   *slog.Logger

	mu      sync.Mutex
	runners map[string]runner // request token -> job
}

type runner struct {
	id     string
	claims Claims
}

// New starts an issuer on 127.0.0.1; call Close when done.
func New(opts Options) (*Issuer, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("oidcissuer: generating key: %w", err)
		}
		opts.Key = k
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("oidcissuer: generating key: %w", err)
	}
	i := &Issuer{
		key:     jose.JSONWebKey{Key: opts.Key, KeyID: randomHex(16), Algorithm: "RS256", Use: "sig"},
		log:     opts.Logger,
		runners: map[string]runner{},
	}
	// The other key reuses the published kid: a verifier must catch the bad
	// signature itself, not merely fail to find a key.
	i.other = jose.JSONWebKey{Key: other, KeyID: i.key.KeyID, Algorithm: "RS256", Use: "sig"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /.well-known/jwks", i.jwks)
	mux.HandleFunc("GET /_runner/idtoken/{id}", i.runnerToken)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("oidcissuer: listening: %w", err)
	}
	i.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	i.srv.Start()
	return i, nil
}

// URL is the issuer (the iss claim and the discovery base), no trailing slash.
func (i *Issuer) URL() string { return i.srv.URL }

// Close stops the issuer.
func (i *Issuer) Close() { i.srv.Close() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (i *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                i.URL(),
		"jwks_uri":                              i.URL() + "/.well-known/jwks",
		"subject_types_supported":               []string{"public", "pairwise"},
		"response_types_supported":              []string{"id_token"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid"},
		"claims_supported": []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
			"repository_id", "repository_owner", "repository_owner_id", "run_id", "run_number", "run_attempt",
			"actor", "actor_id", "workflow", "head_ref", "base_ref", "event_name", "ref_type", "environment",
			"job_workflow_ref"},
	})
}

func (i *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{i.key.Public()}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// MintOptions shape a token for negative tests.
type MintOptions struct {
	Audience string
	// TTL is the lifetime from now; zero means 5 minutes (GitHub's tokens
	// live about that long); negative mints an already expired token.
	TTL time.Duration
	// Issuer overrides iss (a token from someone else).
	Issuer string
	// OtherKey signs with a key the JWKS does not publish (same kid).
	OtherKey bool
	// KeyID overrides the kid header; with OtherKey it is a forger's token
	// under a key id the JWKS does not list (a verifier must not refetch
	// the key set for every such token).
	KeyID string
	// NotBefore in the future makes a token not yet valid.
	NotBefore time.Time
}

// Mint returns a signed ID token for claims and audience, valid for ttl
// (negative: already expired).
func (i *Issuer) Mint(c Claims, audience string, ttl time.Duration) string {
	return i.MintWith(c, MintOptions{Audience: audience, TTL: ttl})
}

// MintWith returns a token shaped by o.
func (i *Issuer) MintWith(c Claims, o MintOptions) string {
	tok, err := i.mint(c, o)
	if err != nil {
		// Only a broken key could fail; the keys are ours.
		panic("oidcissuer: minting: " + err.Error())
	}
	return tok
}

func (i *Issuer) mint(c Claims, o MintOptions) (string, error) {
	key := i.key
	if o.OtherKey {
		key = i.other
	}
	if o.KeyID != "" {
		key.KeyID = o.KeyID
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = 5 * time.Minute
	}
	now := time.Now()
	iat := now
	if ttl < 0 {
		iat = now.Add(ttl - 5*time.Minute)
	}
	nbf := iat
	if !o.NotBefore.IsZero() {
		nbf = o.NotBefore
	}
	iss := i.URL()
	if o.Issuer != "" {
		iss = o.Issuer
	}
	std := jwt.Claims{
		Issuer: iss, Subject: subject(c), Audience: jwt.Audience{o.Audience}, ID: randomHex(16),
		IssuedAt: jwt.NewNumericDate(iat), NotBefore: jwt.NewNumericDate(nbf), Expiry: jwt.NewNumericDate(now.Add(ttl)),
	}
	return jwt.Signed(signer).Claims(std).Claims(c).Serialize()
}

func subject(c Claims) string {
	switch {
	case c.Subject != "":
		return c.Subject
	case c.Environment != "":
		return "repo:" + c.Repository + ":environment:" + c.Environment
	case c.EventName == "pull_request":
		return "repo:" + c.Repository + ":pull_request"
	default:
		return "repo:" + c.Repository + ":ref:" + c.Ref
	}
}

// RunnerEndpoint registers a job and returns what the runner would put in
// ACTIONS_ID_TOKEN_REQUEST_URL (which, like GitHub's, already has a query
// string, so clients append &audience=…) and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func (i *Issuer) RunnerEndpoint(c Claims) (requestURL, requestToken string) {
	id, tok := randomHex(8), randomHex(24)
	i.mu.Lock()
	i.runners[tok] = runner{id: id, claims: c}
	i.mu.Unlock()
	return i.URL() + "/_runner/idtoken/" + id + "?api-version=2.0", tok
}

// runnerToken answers like the Actions runtime: 200 {"value": jwt} for the
// right bearer token, the audience from the query (default: the owner's
// GitHub URL, as GitHub does).
func (i *Issuer) runnerToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	i.mu.Lock()
	job, found := i.runners[tok]
	i.mu.Unlock()
	if !ok || !found || subtle.ConstantTimeCompare([]byte(job.id), []byte(r.PathValue("id"))) != 1 {
		http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		aud = "https://github.com/" + job.claims.RepositoryOwner
	}
	jwtStr, err := i.mint(job.claims, MintOptions{Audience: aud})
	if err != nil {
		http.Error(w, `{"message":"minting failed"}`, http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]string{"value": jwtStr})
}
