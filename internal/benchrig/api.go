package benchrig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// API calls the gate API directly (tests that need raw bodies or exact
// status codes, where gate/action would retry or refuse).
type API struct {
	Base string
	HTTP *http.Client
}

// NewAPI is a client for the App at base.
func NewAPI(base string) *API {
	return &API{Base: base, HTTP: &http.Client{Timeout: 90 * time.Second}}
}

// Raw sends body as is with contentType ("" sends none) and returns the
// status and the answer's body.
func (a *API) Raw(ctx context.Context, method, path, token, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, b, err
}

// JSON sends body (nil: none) as JSON and decodes a RequestView answer.
func (a *API) JSON(ctx context.Context, method, path, token string, body any) (int, gate.RequestView, error) {
	var raw []byte
	ct := ""
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return 0, gate.RequestView{}, err
		}
		ct = "application/json"
	}
	code, b, err := a.Raw(ctx, method, path, token, ct, raw)
	if err != nil {
		return code, gate.RequestView{}, err
	}
	var v gate.RequestView
	if code < 300 {
		if err := json.Unmarshal(b, &v); err != nil {
			return code, v, fmt.Errorf("decoding %s %s answer: %w: %s", method, path, err, b)
		}
	}
	return code, v, nil
}

// CreateBody is what gate/action sends for cmd at step (bash, no working
// directory), so the request id matches World.RequestID.
func CreateBody(cmd, step string) gate.CreateRequest {
	return gate.CreateRequest{Command: cmd, CommandSHA256: gate.CommandHash(cmd, "bash", ""), Shell: "bash",
		Job: "deploy", Step: step, HeadSHA: HeadSHA, PullRequest: PR, TimeoutSeconds: 600}
}
