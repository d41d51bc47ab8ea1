package ghstandin

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// authKind is how a route authenticates, as on GitHub.
type authKind int

const (
	authJWT   authKind = iota // the App's JWT (Bearer)
	authToken                 // an installation token ("token" or "Bearer")
	authNone                  // no credentials (the manifest code is the secret)
)

// auth is the caller a request authenticated as.
type auth struct {
	kind         string // "jwt", "token"
	installation int64  // with "token"
}

// AppPrivateKeyPEM returns the App's private key as PKCS#1 PEM, the format
// GitHub hands out.
func (s *Server) AppPrivateKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.opts.AppKey)})
}

func (s *Server) authenticate(r *http.Request, rt route) (auth, *reply) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	scheme = strings.ToLower(scheme)
	if rt.auth == authNone {
		return auth{}, nil
	}
	if rt.auth == authJWT {
		if scheme != "bearer" {
			rep := errReply(http.StatusUnauthorized, "A JSON web token could not be decoded")
			return auth{}, &rep
		}
		if err := s.verifyJWT(cred); err != nil {
			s.log.Info("stand-in rejected App JWT", "err", err)
			rep := errReply(http.StatusUnauthorized, "A JSON web token could not be decoded")
			return auth{}, &rep
		}
		return auth{kind: "jwt"}, nil
	}
	if scheme != "token" && scheme != "bearer" {
		rep := errReply(http.StatusUnauthorized, "Requires authentication")
		return auth{}, &rep
	}
	s.mu.Lock()
	t, ok := s.st.tokens[cred]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) {
		rep := errReply(http.StatusUnauthorized, "Bad credentials")
		return auth{}, &rep
	}
	return auth{kind: "token", installation: t.installation}, nil
}

// verifyJWT checks the App JWT like GitHub: RS256 by the App's key, issuer
// the App id, issued at most a minute ahead, expiring in the future and at
// most 10 minutes after issue.
func (s *Server) verifyJWT(raw string) error {
	sig, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return err
	}
	payload, err := sig.Verify(&s.opts.AppKey.PublicKey)
	if err != nil {
		return err
	}
	var c struct {
		Iss json.RawMessage `json:"iss"`
		Iat int64           `json:"iat"`
		Exp int64           `json:"exp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return err
	}
	iss := strings.Trim(string(c.Iss), `"`)
	if iss != strconv.FormatInt(s.opts.AppID, 10) {
		return errors.New("issuer is not the App id")
	}
	now := time.Now().Unix()
	switch {
	case c.Exp <= now:
		return errors.New("expired")
	case c.Iat > now+60:
		return errors.New("issued in the future")
	case c.Exp-c.Iat > 600:
		return errors.New("lifetime over 10 minutes")
	}
	return nil
}

func (s *Server) newToken(installation int64) (string, time.Time) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 36)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	tok := "ghs_" + string(b)
	exp := time.Now().Add(s.opts.TokenTTL).UTC().Truncate(time.Second)
	s.st.tokens[tok] = token{installation: installation, expires: exp}
	s.tokensMade++
	return tok, exp
}

// ExpireTokens makes every installation token expired, as if an hour passed.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.st.tokens {
		t.expires = time.Now().Add(-time.Second)
		s.st.tokens[k] = t
	}
}
