// Package manifest holds the GitHub App manifest that registers stepgate
// with exactly the permissions and events it uses (see README.md), the
// table of GitHub routes the App calls with the permission GitHub documents
// for each, and the builder `stepgate app create` posts to GitHub.
package manifest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// JSON is github-app.json.
//
//go:embed github-app.json
var JSON []byte

// Manifest is a GitHub App manifest
// (docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest).
type Manifest struct {
	Name               string            `json:"name"`
	Description        string            `json:"description,omitempty"`
	URL                string            `json:"url"`
	HookAttributes     HookAttributes    `json:"hook_attributes"`
	RedirectURL        string            `json:"redirect_url"`
	Public             bool              `json:"public"`
	DefaultPermissions map[string]string `json:"default_permissions"`
	DefaultEvents      []string          `json:"default_events"`
}

// HookAttributes is where GitHub delivers the App's webhooks.
type HookAttributes struct {
	URL    string `json:"url"`
	Active bool   `json:"active"`
}

// Default returns github-app.json parsed; unknown fields are an error, so
// the file and the type cannot drift apart.
func Default() (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(JSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("github-app.json: %w", err)
	}
	return m, nil
}

// Options are what differs per installation of stepgate.
type Options struct {
	Name        string // the App's name on GitHub (unique on GitHub); default "stepgate"
	PublicURL   string // STEPGATE_PUBLIC_URL: webhooks go to PublicURL + "/webhook"
	RedirectURL string // where GitHub sends the browser back with ?code=
}

// Build returns the manifest for opts.
func Build(opts Options) (Manifest, error) {
	m, err := Default()
	if err != nil {
		return m, err
	}
	if opts.Name != "" {
		if len(opts.Name) > 34 {
			return m, fmt.Errorf("the App name %q is longer than GitHub's 34 characters", opts.Name)
		}
		m.Name = opts.Name
	}
	u, err := url.Parse(opts.PublicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return m, fmt.Errorf("public URL %q is not an absolute http(s) URL", opts.PublicURL)
	}
	if opts.RedirectURL == "" {
		return m, errors.New("a redirect URL is required")
	}
	m.HookAttributes.URL = strings.TrimRight(opts.PublicURL, "/") + "/webhook"
	m.RedirectURL = opts.RedirectURL
	return m, nil
}
