package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// keyRefetchInterval is the shortest time between two fetches of the same
// issuer document (discovery or JWKS). go-oidc refetches the key set for
// every token whose key id it does not know, so without this anyone could
// make the App fetch GitHub's keys once per forged token. Issuers publish a
// new key before they sign with it, so a key set at most this old still
// verifies real tokens.
const keyRefetchInterval = 10 * time.Second

// issuerDownFor is how long after a failed fetch (with no success since)
// token failures are reported as an unreachable issuer rather than a bad token.
const issuerDownFor = 30 * time.Second

// issuerTransport sits under the OIDC client: a GET of a URL fetched
// successfully less than keyRefetchInterval ago is answered from that
// response, and fetch failures are remembered so the gate API can tell
// "the issuer is unreachable" from "your token is bad".
type issuerTransport struct {
	next http.RoundTripper

	mu       sync.Mutex
	last     map[string]issuerResponse
	failedAt time.Time // last failed fetch
	okAt     time.Time // last successful fetch
	fetches  int       // fetches that reached the issuer (tests)
}

type issuerResponse struct {
	at     time.Time
	header http.Header
	body   []byte
}

// maxIssuerDoc bounds a discovery document or key set.
const maxIssuerDoc = 1 << 20

func newIssuerClient(c *http.Client) (*http.Client, *issuerTransport) {
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	t := &issuerTransport{next: next, last: map[string]issuerResponse{}}
	cc := *c
	cc.Transport = t
	return &cc, t
}

func (t *issuerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return t.next.RoundTrip(req)
	}
	key := req.URL.String()
	t.mu.Lock()
	if c, ok := t.last[key]; ok && time.Since(c.at) < keyRefetchInterval {
		t.mu.Unlock()
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: c.header.Clone(), Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: req}, nil
	}
	t.fetches++
	t.mu.Unlock()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.failed()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			t.failed()
		}
		return resp, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIssuerDoc+1))
	if err != nil || len(body) > maxIssuerDoc {
		t.failed()
		return nil, fmt.Errorf("reading %s: too large or cut short", req.URL.Redacted())
	}
	t.mu.Lock()
	t.last[key] = issuerResponse{at: time.Now(), header: resp.Header.Clone(), body: body}
	t.okAt = time.Now()
	t.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (t *issuerTransport) failed() {
	t.mu.Lock()
	t.failedAt = time.Now()
	t.mu.Unlock()
}

// down reports whether the issuer's last fetch failed recently and none
// succeeded since.
func (t *issuerTransport) down() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.failedAt.IsZero() && t.failedAt.After(t.okAt) && time.Since(t.failedAt) < issuerDownFor
}

func (t *issuerTransport) fetchCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fetches
}
