package ghstandin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// GitHub's App manifest flow (docs.github.com/en/apps/sharing-github-apps/
// registering-a-github-app-from-a-manifest): a form posts the manifest to
// /settings/apps/new (or /organizations/ORG/settings/apps/new), GitHub
// redirects the browser to the manifest's redirect_url with ?code=&state=,
// and POST /app-manifests/{code}/conversions trades the code, once and
// within an hour, for the App's id, private key and webhook secret.
//
// The stand-in has one App (Options.AppID, its key, Options.WebhookSecret):
// a successful flow hands out those credentials under the manifest's name,
// permissions and events, so a client that completed the flow can run
// against the stand-in. GitHub's confirmation page (the user reviews the
// name and clicks "Create GitHub App") is skipped: the form post redirects
// at once.

// CreatedApp is an App registered through the manifest flow.
type CreatedApp struct {
	Owner       string // the organization, or "octocat" for a personal App
	Name        string
	Slug        string
	HookURL     string
	RedirectURL string
	Public      bool
	Permissions map[string]string
	Events      []string
	Converted   bool // the code was exchanged
}

type manifestFlow struct {
	apps  []*CreatedApp
	codes map[string]manifestCode
}

type manifestCode struct {
	app     *CreatedApp
	expires time.Time
}

// manifestUser is the signed-in user who registers a personal App.
const manifestUser = "octocat"

func (s *Server) registerManifestFlow(mux *http.ServeMux) {
	mux.HandleFunc("POST /settings/apps/new", func(w http.ResponseWriter, r *http.Request) { s.newAppFromManifest(w, r, manifestUser) })
	mux.HandleFunc("POST /organizations/{org}/settings/apps/new", func(w http.ResponseWriter, r *http.Request) {
		s.newAppFromManifest(w, r, r.PathValue("org"))
	})
}

// CreatedApps lists the Apps registered through the manifest flow.
func (s *Server) CreatedApps() []CreatedApp {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CreatedApp, len(s.flow.apps))
	for i, a := range s.flow.apps {
		out[i] = *a
	}
	return out
}

// manifestKeys are the parameters GitHub accepts in a manifest.
var manifestKeys = map[string]bool{"name": true, "url": true, "hook_attributes": true, "redirect_url": true, "callback_urls": true,
	"setup_url": true, "description": true, "public": true, "default_events": true, "default_permissions": true,
	"request_oauth_on_install": true, "setup_on_update": true}

// eventPermissions: GitHub offers an event only to an App with one of
// these permissions (the events a stepgate-like App may ask for).
var eventPermissions = map[string][]string{
	"check_run": {"checks"}, "check_suite": {"checks"}, "commit_comment": {"contents"},
	"deployment_protection_rule": {"deployments"}, "issue_comment": {"issues", "pull_requests"},
	"pull_request": {"pull_requests"}, "push": {"contents"}, "workflow_run": {"actions"},
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func (s *Server) newAppFromManifest(w http.ResponseWriter, r *http.Request, owner string) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	app, err := parseManifest(r.PostForm.Get("manifest"))
	if err != nil {
		// GitHub shows the form again with the error; a 422 page here.
		http.Error(w, "Invalid GitHub App manifest: "+err.Error(), http.StatusUnprocessableEntity)
		return
	}
	app.Owner = owner
	s.mu.Lock()
	s.st.ensureUser(owner, map[bool]string{true: "User", false: "Organization"}[owner == manifestUser])
	if s.flow.codes == nil {
		s.flow.codes = map[string]manifestCode{}
	}
	code := randomHex(10)
	s.flow.apps = append(s.flow.apps, app)
	s.flow.codes[code] = manifestCode{app: app, expires: time.Now().Add(time.Hour)}
	s.mu.Unlock()
	q := url.Values{"code": {code}}
	if st := r.Form.Get("state"); st != "" {
		q.Set("state", st)
	}
	sep := "?"
	if strings.Contains(app.RedirectURL, "?") {
		sep = "&"
	}
	http.Redirect(w, r, app.RedirectURL+sep+q.Encode(), http.StatusFound)
}

// appManifest is the part of a GitHub App manifest the stand-in reads.
type appManifest struct {
	Name           string `json:"name"`
	URL            string `json:"url"`
	HookAttributes struct {
		URL    string `json:"url"`
		Active *bool  `json:"active"`
	} `json:"hook_attributes"`
	RedirectURL string            `json:"redirect_url"`
	Public      bool              `json:"public"`
	Permissions map[string]string `json:"default_permissions"`
	Events      []string          `json:"default_events"`
}

// parseManifest reads and checks a manifest as GitHub does: known keys
// only, the URLs, the permission levels, and a permission for each event.
func parseManifest(raw string) (*CreatedApp, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	for k := range m {
		if !manifestKeys[k] {
			return nil, fmt.Errorf("unknown parameter %q", k)
		}
	}
	var v appManifest
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, err
	}
	if err := v.checkURLs(); err != nil {
		return nil, err
	}
	if err := v.checkPermissions(); err != nil {
		return nil, err
	}
	name := v.Name
	if name == "" {
		name = "app-" + randomHex(3)
	}
	events := append([]string(nil), v.Events...)
	sort.Strings(events)
	return &CreatedApp{Name: name, Slug: strings.Trim(slugRE.ReplaceAllString(strings.ToLower(name), "-"), "-"),
		HookURL: v.HookAttributes.URL, RedirectURL: v.RedirectURL, Public: v.Public, Permissions: v.Permissions, Events: events}, nil
}

// checkURLs: url and redirect_url are required, the webhook's URL too when
// it is active; each given URL is absolute http(s).
func (v *appManifest) checkURLs() error {
	switch {
	case v.URL == "":
		return fmt.Errorf("url is required")
	case v.RedirectURL == "":
		return fmt.Errorf("redirect_url is required for the manifest flow")
	case v.HookAttributes.URL == "" && (v.HookAttributes.Active == nil || *v.HookAttributes.Active):
		return fmt.Errorf("hook_attributes.url is required for an active webhook")
	}
	for _, u := range []string{v.URL, v.RedirectURL, v.HookAttributes.URL} {
		if p, err := url.Parse(u); u != "" && (err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http")) {
			return fmt.Errorf("%q is not an absolute URL", u)
		}
	}
	return nil
}

// checkPermissions: each permission is read or write (metadata may be
// none), and each event is one the stand-in knows, with a permission that
// delivers it.
func (v *appManifest) checkPermissions() error {
	for p, lvl := range v.Permissions {
		if lvl != "read" && lvl != "write" && !(p == "metadata" && lvl == "none") {
			return fmt.Errorf("default_permissions.%s: %q (want read or write)", p, lvl)
		}
	}
	for _, ev := range v.Events {
		need, ok := eventPermissions[ev]
		if !ok {
			return fmt.Errorf("default_events: the stand-in does not know %q", ev)
		}
		if !slices.ContainsFunc(need, func(p string) bool { return v.Permissions[p] != "" }) {
			return fmt.Errorf("default_events: %s needs one of the permissions %v", ev, need)
		}
	}
	return nil
}

func (s *Server) convertManifest(r *http.Request, _ []byte, _ auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.flow.codes[r.PathValue("code")]
	delete(s.flow.codes, r.PathValue("code")) // one use
	if !ok || time.Now().After(c.expires) {
		return notFound
	}
	if s.opts.WebhookSecret == "" {
		return errReply(http.StatusInternalServerError, "stand-in: set Options.WebhookSecret to use the manifest flow")
	}
	c.app.Converted = true
	owner := s.st.ensureUser(c.app.Owner, "")
	created := time.Now().UTC().Truncate(time.Second)
	perms := obj{}
	for k, v := range c.app.Permissions {
		perms[k] = v
	}
	return jsonReply(http.StatusCreated, obj{
		"id": s.opts.AppID, "slug": c.app.Slug, "node_id": nodeID("Integration", s.opts.AppID),
		"owner": s.userJSON(owner), "name": c.app.Name, "description": "", "external_url": s.URL(),
		"html_url":   s.web() + "/apps/" + c.app.Slug,
		"created_at": ts(created), "updated_at": ts(created),
		"permissions": perms, "events": c.app.Events,
		"client_id": "Iv1." + randomHex(8), "client_secret": randomHex(20),
		"webhook_secret": s.opts.WebhookSecret, "pem": string(s.AppPrivateKeyPEM()),
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
