package action

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"
)

// tokenLifetime is how long a fetched OIDC token is reused. GitHub's tokens
// live a few minutes longer; refreshing early avoids a 401 round trip.
const tokenLifetime = 4 * time.Minute

// errNoToken is the fail-closed outcome when the job cannot mint an OIDC
// token, almost always a missing `permissions: id-token: write`.
type errNoToken struct{ err error }

func (e *errNoToken) Error() string {
	var missing *githubactions.EnvMissingError
	if errors.As(e.err, &missing) {
		return fmt.Sprintf("no GitHub Actions OIDC token: %s is not set. Add `permissions: id-token: write` to the job (or workflow) so the gate can prove to the App which run is asking", missing.Name)
	}
	return fmt.Sprintf("fetching the GitHub Actions OIDC token: %v (does the job have `permissions: id-token: write`?)", e.err)
}

func (e *errNoToken) Unwrap() error { return e.err }

// tokenSource fetches the job's OIDC token for one audience and caches it.
type tokenSource struct {
	action   *githubactions.Action
	audience string
	now      func() time.Time

	mu      sync.Mutex
	token   string
	fetched time.Time
}

func (t *tokenSource) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.now().Sub(t.fetched) < tokenLifetime {
		return t.token, nil
	}
	tok, err := t.action.GetIDToken(ctx, t.audience)
	if err != nil {
		return "", &errNoToken{err: err}
	}
	if tok == "" {
		return "", &errNoToken{err: errors.New("the token endpoint returned an empty token")}
	}
	t.token, t.fetched = tok, t.now()
	return tok, nil
}

func (t *tokenSource) invalidate() {
	t.mu.Lock()
	t.token = ""
	t.mu.Unlock()
}
