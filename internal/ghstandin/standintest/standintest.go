// Package standintest starts the GitHub stand-in for tests with every
// request and response checked against GitHub's own OpenAPI description
// (npm @octokit/openapi, installed under node_modules by scripts/test.sh).
//
// The description is ~10 MB and takes a few seconds to load, so it is loaded
// once per test binary. It is never validated as a document (GitHub's fails
// kin-openapi's Validate); it is only used to route and check traffic.
package standintest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/stepgate/stepgate/internal/testutil"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

// SpecRelPath is where GitHub's description sits below the repository root.
const SpecRelPath = "node_modules/@octokit/openapi/generated/api.github.com.json"

// OpenAPI validates traffic against an OpenAPI description; it implements
// ghstandin.Validator.
type OpenAPI struct {
	router routers.Router
	opts   openapi3filter.Options
}

var _ ghstandin.Validator = (*OpenAPI)(nil)

// Load reads an OpenAPI description (without validating the document),
// keeping only the given paths (all when empty) and the components they
// reference: GitHub's full description takes kin-openapi seconds to load,
// ten times that under the race detector.
func Load(path string, paths ...string) (*OpenAPI, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(paths) > 0 {
		if raw, err = prune(raw, paths); err != nil {
			return nil, fmt.Errorf("pruning %s: %w", path, err)
		}
	}
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	doc, err := l.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	// Route by path only: requests are rewritten to api.github.com before
	// routing, so the document's own server entry matches.
	doc.Servers = openapi3.Servers{{URL: "https://api.github.com"}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("building router: %w", err)
	}
	return &OpenAPI{router: r, opts: openapi3filter.Options{
		MultiError:         true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	}}, nil
}

// prune keeps the named paths of an OpenAPI document and the components
// reachable from them through $ref.
func prune(raw []byte, paths []string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	all, _ := doc["paths"].(map[string]any)
	comps, _ := doc["components"].(map[string]any)
	kept := map[string]any{}
	for _, p := range paths {
		if v, ok := all[p]; ok {
			kept[p] = v
		}
	}
	used := map[string]map[string]any{} // section -> name -> value
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
				if len(parts) == 2 && used[parts[0]][parts[1]] == nil {
					sec, _ := comps[parts[0]].(map[string]any)
					if target, ok := sec[parts[1]]; ok {
						if used[parts[0]] == nil {
							used[parts[0]] = map[string]any{}
						}
						used[parts[0]][parts[1]] = target
						walk(target)
					}
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(kept)
	newComps := map[string]any{}
	for sec, m := range used {
		newComps[sec] = m
	}
	if ss, ok := comps["securitySchemes"]; ok {
		newComps["securitySchemes"] = ss
	}
	doc["paths"], doc["components"] = kept, newComps
	delete(doc, "webhooks")
	delete(doc, "x-webhooks")
	return json.Marshal(doc)
}

// FindSpec walks up from the working directory to the repository root's
// node_modules and returns the description's path.
func FindSpec() (string, error) { return testutil.FindUp(SpecRelPath) }

// contentsRE finds the {path} of the contents route, which may contain
// slashes that the router would take for separators.
var contentsRE = regexp.MustCompile(`^(/repos/[^/]+/[^/]+/contents/)(.+)$`)

// routed returns a copy of r aimed at api.github.com, with its body restored.
func (v *OpenAPI) routed(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	c := r.Clone(r.Context())
	c.URL.Scheme, c.URL.Host, c.Host = "https", "api.github.com", "api.github.com"
	if m := contentsRE.FindStringSubmatch(c.URL.Path); m != nil {
		c.URL.RawPath = m[1] + strings.ReplaceAll(m[2], "/", "%2F")
	}
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.ContentLength = int64(len(body))
	route, params, err := v.router.FindRoute(c)
	if err != nil {
		return nil, fmt.Errorf("no such route in GitHub's API: %s %s: %w", r.Method, r.URL.Path, err)
	}
	opts := v.opts
	return &openapi3filter.RequestValidationInput{Request: c, PathParams: params, Route: route, Options: &opts}, nil
}

// ValidateRequest implements ghstandin.Validator.
func (v *OpenAPI) ValidateRequest(r *http.Request, body []byte) error {
	in, err := v.routed(r, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(r.Context(), in)
}

// ValidateResponse implements ghstandin.Validator. A success or redirect
// status must be documented for the operation; an undocumented error
// status (GitHub documents few of its 404s and 5xx) is accepted, and a
// documented one is checked.
func (v *OpenAPI) ValidateResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	in, err := v.routed(r, reqBody)
	if err != nil {
		return err
	}
	resps := in.Route.Operation.Responses
	if status < 400 && resps.Status(status) == nil && resps.Default() == nil {
		return fmt.Errorf("status %d is not documented for %s %s", status, r.Method, in.Route.Path)
	}
	return openapi3filter.ValidateResponse(r.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: in.Options,
	})
}

// validator is the one parsed description of the test binary: loading it
// is slow and the result is read-only.
var validator = testutil.NodeFile("GitHub OpenAPI description", SpecRelPath,
	func(p string) (*OpenAPI, error) { return Load(p, ghstandin.Routes()...) })

// Validator returns the shared validator. Without node_modules the test is
// skipped locally and fails in CI (CI set), so validation is never silently
// dropped there.
func Validator(t testing.TB) *OpenAPI {
	t.Helper()
	return validator(t)
}

// sharedKey is one App key for all stand-ins of a test binary: RSA key
// generation costs far more than the tests themselves under -race.
var sharedKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("standintest: generating an App key: " + err.Error())
	}
	return k
})

// New starts a stand-in that validates all traffic against GitHub's
// description; at cleanup it is closed and any validation failure fails t.
func New(t testing.TB, opts ghstandin.Options) *ghstandin.Server {
	t.Helper()
	opts.Validator = Validator(t)
	if opts.AppKey == nil {
		opts.AppKey = sharedKey()
	}
	s := ghstandin.New(opts)
	t.Cleanup(func() {
		s.Close()
		Check(t, s)
	})
	return s
}

// Check fails t for each validation failure s has seen.
func Check(t testing.TB, s *ghstandin.Server) {
	t.Helper()
	for _, err := range s.ValidationErrors() {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			for _, e := range me {
				t.Errorf("GitHub stand-in OpenAPI: %v", e)
			}
			continue
		}
		t.Errorf("GitHub stand-in OpenAPI: %v", err)
	}
}
