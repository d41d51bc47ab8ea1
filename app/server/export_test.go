package server

import (
	"testing"
	"time"
)

// Exported for the external tests (package server_test), which use the
// real GitHub client and so cannot live in this package: ghclient imports it.

// TestIssuer is a local OIDC issuer.
type TestIssuer = testIssuer

// NewTestIssuer starts a local OIDC issuer.
func NewTestIssuer(t *testing.T) *TestIssuer { return newTestIssuer(t) }

// Mint signs a token with the issuer's key.
func (i *testIssuer) Mint(t *testing.T, claims map[string]any, aud string, ttl time.Duration) string {
	return i.mint(t, nil, claims, aud, ttl)
}
