package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/retry"
)

// RetryPolicy bounds how hard the gate tries to reach the App before it
// fails closed. Delays double from Initial up to Max, each drawn from
// [d/2, d] (internal/retry), so gates that failed together do not retry
// together; Backoff replaces that schedule when set.
type RetryPolicy struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
	Backoff  retry.Backoff
}

// DefaultRetry tries 5 times over about 8–15 s of back-off (plus the time
// the attempts themselves take), then gives up and runs nothing.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{Attempts: 5, Initial: time.Second, Max: 8 * time.Second}
}

func (p RetryPolicy) delay(attempt int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(attempt)
	}
	return retry.Exponential(p.Initial, p.Max)(attempt)
}

// apiError is a non-2xx answer of the gate API.
type apiError struct {
	status     int
	message    string
	code       string // gate.ErrorCode… or ""
	retryAfter time.Duration
}

// final reports a refusal the App marks as one no retry or reviewer can
// change (not installed, owner not allowed): the gate prints its message
// as it is and fails closed at once.
func (e *apiError) final() bool {
	return e.code == gate.ErrorCodeNotInstalled || e.code == gate.ErrorCodeOwnerNotAllowed
}

func (e *apiError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("HTTP %d %s", e.status, http.StatusText(e.status))
	}
	return fmt.Sprintf("HTTP %d: %s", e.status, e.message)
}

// retryable: network errors, 5xx and 429 may pass on a later attempt; any
// other answer of the App is its final word.
func retryable(err error) bool {
	var nt *errNoToken
	if errors.As(err, &nt) {
		var missing *githubactions.EnvMissingError
		var failed *githubactions.RequestFailedError
		switch {
		case errors.As(err, &missing):
			return false
		case errors.As(err, &failed):
			return failed.StatusCode >= 500 || failed.StatusCode == http.StatusTooManyRequests
		}
		return true
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return retry.Transient(ae.status, nil)
	}
	return true
}

// unreachableError is the fail-closed outcome: the App could not be reached
// or kept failing after every attempt.
type unreachableError struct {
	url      string
	attempts int
	err      error
}

func (e *unreachableError) Error() string {
	var ae *apiError
	if errors.As(e.err, &ae) && ae.status == http.StatusServiceUnavailable && ae.message != "" {
		// The App answered and said what it lacks (its store, the OIDC
		// issuer, GitHub): that is the news, not that it was unreachable.
		return fmt.Sprintf("the stepgate App at %s could not serve the request after %d attempts: %v", e.url, e.attempts, e.err)
	}
	return fmt.Sprintf("cannot reach the stepgate App at %s after %d attempts: %v", e.url, e.attempts, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

// client talks to the gate API with the job's OIDC token.
type client struct {
	base   string
	http   *http.Client
	token  *tokenSource
	retry  RetryPolicy
	sleep  func(context.Context, time.Duration) error
	reqTTL time.Duration // per-attempt timeout of non-waiting calls
}

func (c *client) create(ctx context.Context, body gate.CreateRequest) (gate.RequestView, error) {
	var v gate.RequestView
	err := c.withRetry(ctx, "/api/v1/requests", func(ctx context.Context) error {
		return c.do(ctx, http.MethodPost, "/api/v1/requests", body, &v, c.reqTTL)
	})
	return v, err
}

// poll long-polls one request for up to wait.
func (c *client) poll(ctx context.Context, id string, wait time.Duration) (gate.RequestView, error) {
	var v gate.RequestView
	path := "/api/v1/requests/" + url.PathEscape(id) + "?wait=" + strconv.Itoa(int(wait.Seconds())) + "s"
	err := c.withRetry(ctx, "/api/v1/requests/"+url.PathEscape(id), func(ctx context.Context) error {
		return c.do(ctx, http.MethodGet, path, nil, &v, wait+c.reqTTL)
	})
	return v, err
}

func (c *client) report(ctx context.Context, id string, r gate.ResultReport) error {
	path := "/api/v1/requests/" + url.PathEscape(id) + "/result"
	return c.withRetry(ctx, path, func(ctx context.Context) error {
		return c.do(ctx, http.MethodPost, path, r, nil, c.reqTTL)
	})
}

func (c *client) cancel(ctx context.Context, id string, r gate.CancelReport) error {
	path := "/api/v1/requests/" + url.PathEscape(id) + "/cancel"
	return c.withRetry(ctx, path, func(ctx context.Context) error {
		return c.do(ctx, http.MethodPost, path, r, nil, c.reqTTL)
	})
}

// withRetry runs call until it succeeds, fails for good, or the attempts run
// out. A 401 fetches a fresh token once: OIDC tokens are short-lived and a
// long wait outlives them.
func (c *client) withRetry(ctx context.Context, path string, call func(context.Context) error) error {
	var err error
	refreshed := false
	for attempt := 1; attempt <= c.retry.Attempts; attempt++ {
		err = call(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusUnauthorized && !refreshed {
			refreshed = true
			c.token.invalidate()
			attempt--
			continue
		}
		if !retryable(err) {
			return err
		}
		if attempt == c.retry.Attempts {
			break
		}
		d := c.retry.delay(attempt)
		if errors.As(err, &ae) && ae.retryAfter > d {
			// Retry-After is a minimum; spread the gates it was sent to.
			d = min(retry.Spread(ae.retryAfter, ae.retryAfter/2), c.retry.Max)
		}
		if serr := c.sleep(ctx, d); serr != nil {
			return serr
		}
	}
	var nt *errNoToken
	if errors.As(err, &nt) {
		return err
	}
	return &unreachableError{url: c.base + path, attempts: c.retry.Attempts, err: err}
}

func (c *client) do(ctx context.Context, method, path string, in, out any, timeout time.Duration) error {
	tok, err := c.token.get(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("reading the App's answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the App's answer is not a request (HTTP %d): %w", resp.StatusCode, err)
	}
	return nil
}

func newAPIError(resp *http.Response, data []byte) *apiError {
	e := &apiError{status: resp.StatusCode}
	var eb gate.ErrorBody
	if json.Unmarshal(data, &eb) == nil && eb.Error != "" {
		e.message, e.code = eb.Error, eb.Code
	} else if s := string(bytes.TrimSpace(data)); s != "" && len(s) < 300 {
		e.message = s
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra > 0 {
		e.retryAfter = time.Duration(ra) * time.Second
	}
	return e
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
