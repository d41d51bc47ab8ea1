package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stepgate/stepgate/app/lifecycle"
)

// actionsClaims are the GitHub Actions token claims the App reads. GitHub
// sends the numeric ids as strings.
type actionsClaims struct {
	Repository     string   `json:"repository"`
	RepositoryID   string   `json:"repository_id"`
	RunID          string   `json:"run_id"`
	RunAttempt     string   `json:"run_attempt"`
	Actor          string   `json:"actor"`
	Ref            string   `json:"ref"`
	SHA            string   `json:"sha"`
	EventName      string   `json:"event_name"`
	Environment    string   `json:"environment"`
	Workflow       string   `json:"workflow"`
	JobWorkflowRef string   `json:"job_workflow_ref"`
	JobWorkflowSHA string   `json:"job_workflow_sha"`
	CheckRunID     idString `json:"check_run_id"`
	HeadRef        string   `json:"head_ref"`
	BaseRef        string   `json:"base_ref"`
	RunnerEnv      string   `json:"runner_environment"`
	Audience       audience `json:"aud"`
}

// audience accepts both forms of the aud claim.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := jsonUnmarshal(b, &one); err == nil {
		*a = []string{one}
		return nil
	}
	var many []string
	if err := jsonUnmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// idString accepts an id claim sent as a string (GitHub's habit) or as a
// number.
type idString string

func (s *idString) UnmarshalJSON(b []byte) error {
	var str string
	if err := jsonUnmarshal(b, &str); err == nil {
		*s = idString(str)
		return nil
	}
	var n json.Number
	if err := jsonUnmarshal(b, &n); err != nil {
		return err
	}
	*s = idString(n.String())
	return nil
}

// errUnauthorized is any token problem; the caller answers 401 without details.
var errUnauthorized = errors.New("unauthorized")

// errIssuerUnavailable: the issuer's discovery document or keys cannot be
// fetched; the caller answers 503 so the gate retries (fail closed).
var errIssuerUnavailable = errors.New("token issuer unavailable")

// tokenVerifier verifies gate tokens. The issuer is discovered lazily (and
// again after a failure, at most every few seconds), so the App starts even
// while the issuer is briefly unreachable.
type tokenVerifier struct {
	issuer   string
	audience string
	client   *http.Client
	now      func() time.Time

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	lastTry  time.Time

	// verified caches identities of tokens already verified, by the
	// token's SHA-256, until they expire: a waiting gate presents the same
	// token on every long-poll, and RSA verification dominates a GET.
	cacheMu  sync.Mutex
	verified map[[32]byte]verifiedToken
}

type verifiedToken struct {
	id     *lifecycle.Identity
	expiry time.Time
}

const maxVerifiedCache = 20000

func newTokenVerifier(issuer, aud string, client *http.Client, now func() time.Time) *tokenVerifier {
	return &tokenVerifier{issuer: issuer, audience: aud, client: client, now: now, verified: map[[32]byte]verifiedToken{}}
}

const rediscoverAfter = 3 * time.Second

func (v *tokenVerifier) get(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	if !v.lastTry.IsZero() && v.now().Sub(v.lastTry) < rediscoverAfter {
		return nil, errIssuerUnavailable
	}
	v.lastTry = v.now()
	// The provider keeps this context for fetching keys later, so it must
	// outlive the request that happened to trigger discovery.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), v.client)
	dctx, cancel := context.WithTimeout(pctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, v.issuer)
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) && strings.TrimRight(mismatch.Discovered, "/") == strings.TrimRight(v.issuer, "/") {
		// Configured with or without a trailing slash, unlike the issuer's
		// own spelling: use the issuer's, which its tokens carry.
		v.issuer = mismatch.Discovered
		p, err = oidc.NewProvider(dctx, v.issuer)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errIssuerUnavailable, err)
	}
	// Rebuild the provider on the long-lived context: NewProvider keeps the
	// client of the context it was given, and the key set fetches with it.
	var meta struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKS == "" {
		return nil, fmt.Errorf("%w: discovery document has no jwks_uri", errIssuerUnavailable)
	}
	keys := oidc.NewRemoteKeySet(pctx, meta.JWKS)
	v.verifier = oidc.NewVerifier(v.issuer, keys, &oidc.Config{
		SkipClientIDCheck: true, // checked below, ignoring a trailing slash
		Now:               v.now,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384,
			oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA},
	})
	return v.verifier, nil
}

// verify checks the bearer token of r: signature (JWKS), issuer, expiry
// and audience, and reads the Actions claims.
func (v *tokenVerifier) verify(r *http.Request) (*lifecycle.Identity, error) {
	raw, ok := bearer(r)
	if !ok {
		return nil, errUnauthorized
	}
	key := sha256.Sum256([]byte(raw))
	if id, ok := v.cached(key); ok {
		return id, nil
	}
	vf, err := v.get(r.Context())
	if err != nil {
		return nil, err
	}
	tok, err := vf.Verify(r.Context(), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnauthorized, err)
	}
	var c actionsClaims
	if err := tok.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", errUnauthorized, err)
	}
	if !slices.ContainsFunc(c.Audience, func(a string) bool { return strings.TrimRight(a, "/") == v.audience }) {
		return nil, fmt.Errorf("%w: wrong audience", errUnauthorized)
	}
	id, err := c.identity()
	if err != nil {
		return nil, err
	}
	v.remember(key, id, tok.Expiry)
	return id, nil
}

func (v *tokenVerifier) cached(key [32]byte) (*lifecycle.Identity, bool) {
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	e, ok := v.verified[key]
	if !ok {
		return nil, false
	}
	if !v.now().Before(e.expiry) {
		delete(v.verified, key)
		return nil, false
	}
	return e.id, true
}

func (v *tokenVerifier) remember(key [32]byte, id *lifecycle.Identity, expiry time.Time) {
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	if len(v.verified) >= maxVerifiedCache {
		now := v.now()
		for k, e := range v.verified {
			if !now.Before(e.expiry) {
				delete(v.verified, k)
			}
		}
		if len(v.verified) >= maxVerifiedCache {
			clear(v.verified)
		}
	}
	v.verified[key] = verifiedToken{id: id, expiry: expiry}
}

func (c actionsClaims) identity() (*lifecycle.Identity, error) {
	repoID, err1 := strconv.ParseInt(c.RepositoryID, 10, 64)
	runID, err2 := strconv.ParseInt(c.RunID, 10, 64)
	attempt, err3 := strconv.Atoi(c.RunAttempt)
	if c.RunAttempt == "" {
		attempt, err3 = 1, nil
	}
	if err := errors.Join(err1, err2, err3); err != nil || repoID <= 0 || runID <= 0 || !strings.Contains(c.Repository, "/") {
		return nil, fmt.Errorf("%w: token lacks GitHub Actions claims (repository, repository_id, run_id)", errUnauthorized)
	}
	return &lifecycle.Identity{
		Repo: c.Repository, RepoID: repoID, RunID: runID, RunAttempt: attempt,
		Actor: c.Actor, Ref: c.Ref, SHA: c.SHA, EventName: c.EventName, Environment: c.Environment,
		Workflow: c.Workflow, JobWorkflowRef: c.JobWorkflowRef, JobWorkflowSHA: c.JobWorkflowSHA,
		CheckRunID: string(c.CheckRunID), HeadRef: c.HeadRef, BaseRef: c.BaseRef, RunnerEnvironment: c.RunnerEnv,
	}, nil
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
