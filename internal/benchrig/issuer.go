package benchrig

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer plays the GitHub Actions OIDC token service on 127.0.0.1: the
// discovery document and JWKS the App verifies against, and the runner's
// token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) the gate fetches from.
type Issuer struct {
	srv *http.Server
	url string
	key *rsa.PrivateKey
	sig jose.Signer

	mu      sync.Mutex
	runners map[string]map[string]any // request token -> claims
}

// NewIssuer starts an issuer on a free loopback port.
func NewIssuer() (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("issuer key: %w", err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "rig1"))
	if err != nil {
		return nil, fmt.Errorf("issuer signer: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("issuer listen: %w", err)
	}
	i := &Issuer{key: key, sig: sig, url: "http://" + ln.Addr().String(), runners: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /.well-known/jwks", i.jwks)
	mux.HandleFunc("GET /runner-token", i.runnerToken)
	i.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = i.srv.Serve(ln) }()
	return i, nil
}

// URL is the issuer (the iss claim).
func (i *Issuer) URL() string { return i.url }

// Close stops the issuer.
func (i *Issuer) Close() { _ = i.srv.Close() }

func (i *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": i.url, "jwks_uri": i.url + "/.well-known/jwks",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public", "pairwise"},
	})
}

func (i *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &i.key.PublicKey, KeyID: "rig1", Algorithm: "RS256", Use: "sig"},
	}})
}

// Mint signs claims for audience aud, valid for ttl; iss, aud, iat, nbf
// and exp are filled in.
func (i *Issuer) Mint(claims map[string]any, aud string, ttl time.Duration) (string, error) {
	now := time.Now()
	c := map[string]any{"iss": i.url, "aud": aud, "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(ttl).Unix(), "sub": "repo:rig"}
	for k, v := range claims {
		c[k] = v
	}
	tok, err := jwt.Signed(i.sig).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("minting token: %w", err)
	}
	return tok, nil
}

// RunnerEndpoint registers claims for one job and returns what the runner
// would export as ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN.
func (i *Issuer) RunnerEndpoint(claims map[string]any) (reqURL, reqToken string) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	reqToken = hex.EncodeToString(b)
	i.mu.Lock()
	i.runners[reqToken] = claims
	i.mu.Unlock()
	return i.url + "/runner-token?api-version=2.0", reqToken
}

func (i *Issuer) runnerToken(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	i.mu.Lock()
	claims, ok := i.runners[tok]
	i.mu.Unlock()
	aud := r.URL.Query().Get("audience")
	if !ok || aud == "" {
		http.Error(w, `{"message":"bad runner token or audience"}`, http.StatusUnauthorized)
		return
	}
	jwtStr, err := i.Mint(claims, aud, 10*time.Minute)
	if err != nil {
		http.Error(w, `{"message":"mint failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"value": jwtStr})
}

var errNoNodeModules = errors.New("node_modules/.bin/dynalite not found in this directory or a parent")
