package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// forged is a token for iss's audience signed with a key the issuer does
// not publish, under a random key id, as an attacker would make one.
func forged(t *testing.T, iss *oidcissuer.Issuer) string {
	t.Helper()
	kid := make([]byte, 8)
	_, _ = rand.Read(kid)
	return iss.MintWith(claims(repoA, repoAID, 77), oidcissuer.MintOptions{Audience: publicURL, OtherKey: true, KeyID: hex.EncodeToString(kid)})
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
	for range 200 {
		if resp, _ := h.do("POST", "/api/v1/requests", forged(t, h.iss), cmdBody("echo x")); resp.StatusCode != http.StatusUnauthorized {
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
