package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// forged signs Actions claims for iss with a key of its own under a random
// key id, as an attacker would.
func forged(t *testing.T, iss string, key *ecdsa.PrivateKey) string {
	t.Helper()
	kid := make([]byte, 8)
	_, _ = rand.Read(kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: hex.EncodeToString(kid)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: iss, Audience: jwt.Audience{publicURL}, Subject: "repo:acme/app:ref:refs/heads/main",
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}).
		Claims(claims(repoA, repoAID, 77)).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// 200 tokens with random key ids make the App fetch the issuer's key set
// at most once per keyRefetchInterval, not 200 times; real tokens still pass.
func TestForgedKeyIDsDoNotRefetchKeys(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	if code, v := h.create(h.newRun(), cmdBody("echo warm")); code >= 300 {
		t.Fatalf("warm-up create: %d %+v", code, v)
	}
	before := h.srv.issuer.fetchCount()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for range 200 {
		if resp, _ := h.do("POST", "/api/v1/requests", forged(t, h.iss.URL(), key), cmdBody("echo x")); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged token: %d, want 401", resp.StatusCode)
		}
	}
	if got := h.srv.issuer.fetchCount() - before; got > 1 {
		t.Errorf("200 forged key ids made %d issuer fetches, want at most 1", got)
	}
	if code, _ := h.create(h.newRun(), cmdBody("echo still")); code >= 300 {
		t.Errorf("real token after the forgeries: %d", code)
	}
}

// When the issuer cannot be reached, the gate is told so (503, naming the
// issuer), not that its token is bad.
func TestIssuerDownIsReportedAsSuch(t *testing.T) {
	t.Parallel()
	iss, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{config: func(c *Config) { c.OIDCIssuer = iss.URL() }})
	tok := func(c oidcissuer.Claims) string { return iss.Mint(c, publicURL, 10*time.Minute) }
	if code, _ := h.create(tok(claims(repoA, repoAID, 1)), cmdBody("echo up")); code >= 300 {
		t.Fatalf("create while the issuer is up: %d", code)
	}
	iss.Close()
	time.Sleep(keyRefetchInterval / 100)
	// A token under a key id the App has not seen makes it fetch the key
	// set again: it fails (a second issuer with its own key stands in for
	// a rotated key).
	other, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	h.srv.issuer.mu.Lock()
	clear(h.srv.issuer.last) // as if the last fetch were older than the interval
	h.srv.issuer.mu.Unlock()
	c := claims(repoA, repoAID, 2)
	resp, body := h.do("POST", "/api/v1/requests", other.MintWith(c, oidcissuer.MintOptions{Audience: publicURL, Issuer: iss.URL()}), cmdBody("echo down"))
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "OIDC token issuer") {
		t.Fatalf("issuer down: %d %s, want 503 naming the issuer", resp.StatusCode, body)
	}
}
