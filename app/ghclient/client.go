// Package ghclient is the App's GitHub adapter: it implements ghapi.GitHub
// with go-github, authenticating as the App's installation on each
// repository through ghinstallation, and turns GitHub's answers into plain
// facts.
//
// Every HTTP exchange (including installation token creation) goes through
// one RoundTripper that retries 5xx and rate limits with bounded backoff
// and counts calls by templated route in Prometheus.
package ghclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	ghv88 "github.com/google/go-github/v88/github"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Client.
type Config struct {
	AppID      int64
	PrivateKey []byte // PEM, as downloaded from the App's settings
	// APIURL is the REST API base: https://api.github.com (default),
	// https://ghes.example.com/api/v3 for GitHub Enterprise Server, or any
	// plain base such as http://127.0.0.1:PORT for tests. A GHES host given
	// without a path gets /api/v3; an explicit path is kept as is.
	APIURL     string
	HTTPClient *http.Client // its Transport is the base transport; default http.DefaultTransport
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// MaxRetries bounds retries per request (0: 4; negative: none).
	MaxRetries int
	// MaxRetryWait bounds the total time one request spends waiting between
	// retries (0: 20s). A rate limit that resets later than that is returned
	// at once rather than slept on.
	MaxRetryWait time.Duration
	// FileCacheTTL is how long DefaultBranchFile serves a file from memory
	// without asking GitHub (0: 10s; negative: always revalidate).
	FileCacheTTL time.Duration
}

// Client implements ghapi.GitHub.
type Client struct {
	base    *apiURLs
	apps    *ghinstallation.AppsTransport
	appGH   *github.Client
	rt      http.RoundTripper // retry+metrics transport under ghinstallation
	log     *slog.Logger
	fileTTL time.Duration

	mu            sync.Mutex
	installations map[string]int64         // repo or "org:"+org -> installation id
	clients       map[int64]*github.Client // installation id -> client over its cached token
	files         map[string]cachedFile    // repo+"\x00"+path
	blobs         map[string]string        // repo+"\x00"+commit+"\x00"+path -> blob id ("" = no such file)
}

var _ ghapi.GitHub = (*Client)(nil)

// apiURLs is the API base in the two spellings the libraries want.
type apiURLs struct{ api, token string } // api ends with "/", token does not

// New builds a client; it makes no network calls.
func New(cfg Config) (*Client, error) {
	if cfg.AppID <= 0 {
		return nil, errors.New("ghclient: App id is required")
	}
	if len(cfg.PrivateKey) == 0 {
		return nil, errors.New("ghclient: App private key is required")
	}
	base, err := apiBase(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.FileCacheTTL == 0 {
		cfg.FileCacheTTL = 10 * time.Second
	}
	inner := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		inner = cfg.HTTPClient.Transport
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	rt := newRetryTransport(inner, m, cfg.MaxRetries, cfg.MaxRetryWait, cfg.Logger)
	apps, err := ghinstallation.NewAppsTransport(rt, cfg.AppID, cfg.PrivateKey)
	if err != nil {
		// ghinstallation's message names the parsing problem, never the key.
		return nil, fmt.Errorf("ghclient: App private key: %w", err)
	}
	apps.BaseURL = base.token
	c := &Client{
		base: base, apps: apps, rt: rt, log: cfg.Logger, fileTTL: cfg.FileCacheTTL,
		installations: map[string]int64{}, clients: map[int64]*github.Client{}, files: map[string]cachedFile{}, blobs: map[string]string{},
	}
	c.appGH, err = c.newGitHub(apps)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// apiBase normalises the API URL. It is used as given, with no /api/v3
// guessed: a GitHub Enterprise Server URL names its /api/v3 path, a stand-in
// or proxy serving the API at its root does not. go-github wants a trailing
// slash; ghinstallation builds "<base>/app/installations/…" and wants none.
func apiBase(raw string) (*apiURLs, error) {
	if raw == "" {
		raw = "https://api.github.com"
	}
	u, err := neturl.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("ghclient: API URL %q is not an http(s) URL", raw)
	}
	u.RawQuery, u.Fragment = "", ""
	tok := strings.TrimRight(u.String(), "/")
	return &apiURLs{api: tok + "/", token: tok}, nil
}

func (c *Client) newGitHub(rt http.RoundTripper) (*github.Client, error) {
	gh := github.NewClient(&http.Client{Transport: rt})
	var err error
	gh.BaseURL, err = neturl.Parse(c.base.api)
	if err != nil {
		return nil, err
	}
	gh.UploadURL = gh.BaseURL
	return gh, nil
}

// forRepo returns a client authenticated as the installation covering repo.
func (c *Client) forRepo(ctx context.Context, repo string) (*github.Client, string, string, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, "", "", fmt.Errorf("repository %q is not owner/name", repo)
	}
	c.mu.Lock()
	id, ok := c.installations[repo]
	c.mu.Unlock()
	if !ok {
		inst, _, err := c.appGH.Apps.FindRepositoryInstallation(ctx, owner, name)
		if err != nil {
			return nil, "", "", fmt.Errorf("finding the App's installation on %s: %w", repo, mapErr(err))
		}
		id = inst.GetID()
		c.mu.Lock()
		c.installations[repo] = id
		c.mu.Unlock()
	}
	gh, err := c.forInstallation(id)
	return gh, owner, name, err
}

// forInstallation returns the client of installation id, creating its
// ghinstallation transport once: it keeps the token and renews it a minute
// before expiry, so tokens are created once an hour, not per call.
func (c *Client) forInstallation(id int64) (*github.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gh, ok := c.clients[id]; ok {
		return gh, nil
	}
	tr := ghinstallation.NewFromAppsTransport(c.apps, id)
	tr.BaseURL = c.base.token
	// Without options ghinstallation posts a JSON null, which GitHub's
	// description does not allow; an empty object asks for the same token.
	tr.InstallationTokenOptions = &ghv88.InstallationTokenOptions{}
	gh, err := c.newGitHub(tr)
	if err != nil {
		return nil, err
	}
	c.clients[id] = gh
	return gh, nil
}

// Forget drops what is cached for repo (its installation id and files);
// call it on installation_repositories or repository events.
func (c *Client) Forget(repo string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.installations, repo)
	for k := range c.files {
		if strings.HasPrefix(k, repo+"\x00") {
			delete(c.files, k)
		}
	}
}

// ForgetInstallation drops an installation (installation deleted or
// suspended): its token, and every repository that mapped to it.
func (c *Client) ForgetInstallation(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, id)
	for repo, inst := range c.installations {
		if inst == id {
			delete(c.installations, repo)
			for k := range c.files {
				if strings.HasPrefix(k, repo+"\x00") {
					delete(c.files, k)
				}
			}
		}
	}
}

// mapErr turns a 404 into ghapi.ErrNotFound and keeps other errors.
// go-github errors carry the method, URL and GitHub's message, never the
// Authorization header, so they are safe to wrap.
func mapErr(err error) error {
	if statusOf(err) == http.StatusNotFound {
		return fmt.Errorf("%w: %w", ghapi.ErrNotFound, err)
	}
	return err
}

// apiStatus is the status of a REST answer (0 for transport or token
// errors), for "404 means no" decisions that must not swallow a failed
// authentication.
func apiStatus(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// statusOf is the HTTP status behind a go-github or ghinstallation error (0 if none).
func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var he *ghinstallation.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		return he.Response.StatusCode
	}
	return 0
}
