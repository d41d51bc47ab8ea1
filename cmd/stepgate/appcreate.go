package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stepgate/stepgate/app/manifest"
)

const appUsage = `Usage:
  stepgate app create [--org ORG] [--name NAME] --public-url URL [flags]
      Create the stepgate GitHub App with GitHub's manifest flow. It serves a
      page on 127.0.0.1 that posts the App manifest (app/manifest) to GitHub;
      you confirm on GitHub, GitHub redirects back to the page, and the code
      it brings is exchanged for the App's id, private key and webhook
      secret. They are written, mode 0600, to --dir as stepgate-app.pem,
      stepgate-webhook-secret and stepgate.env (the configuration
      "stepgate serve" reads). Existing files are never overwritten.

Flags:
`

// appCreateFiles are the files app create writes into --dir.
var appCreateFiles = struct{ key, secret, env string }{"stepgate-app.pem", "stepgate-webhook-secret", "stepgate.env"}

type appCreateFlags struct {
	org, name, publicURL, dir, githubURL, apiURL, listen string
	timeout                                              time.Duration
}

func runApp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, appUsage)
			return 0
		}
		fmt.Fprint(stderr, appUsage)
		return 2
	}
	fs := flag.NewFlagSet("stepgate app create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f appCreateFlags
	fs.StringVar(&f.org, "org", "", "create the App for organisation `ORG` (you must be an owner); default: your personal account")
	fs.StringVar(&f.name, "name", "stepgate", "the App's `NAME` on GitHub (unique across GitHub, at most 34 characters)")
	fs.StringVar(&f.publicURL, "public-url", os.Getenv("STEPGATE_PUBLIC_URL"), "the App's external `URL` (STEPGATE_PUBLIC_URL); webhooks go to URL/webhook")
	fs.StringVar(&f.dir, "dir", ".", "`DIR`ectory to write the key, secret and configuration to")
	fs.StringVar(&f.githubURL, "github-url", "https://github.com", "GitHub's web `URL` (GitHub Enterprise Server: https://HOST)")
	fs.StringVar(&f.apiURL, "api-url", os.Getenv("STEPGATE_GITHUB_API_URL"), "REST API base `URL` (default https://api.github.com, or GITHUB-URL/api/v3 for GitHub Enterprise Server)")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:0", "loopback `ADDRESS` for the local page")
	fs.DurationVar(&f.timeout, "timeout", 15*time.Minute, "how long to wait for GitHub's redirect")
	fs.Usage = func() { fmt.Fprint(fs.Output(), appUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return flagExit(err)
	}
	if err := f.check(); err != nil {
		fmt.Fprintf(stderr, "stepgate app create: %v\n", err)
		return 2
	}
	if err := appCreate(ctx, f, stdout); err != nil {
		fmt.Fprintf(stderr, "stepgate app create: %v\n", err)
		return 1
	}
	return 0
}

// check validates the flags and refuses to start a flow whose results it
// could not write: creating an App and then losing its key helps no one.
func (f *appCreateFlags) check() error {
	if f.publicURL == "" {
		return errors.New("--public-url (or STEPGATE_PUBLIC_URL) is required: GitHub delivers webhooks to it")
	}
	if f.apiURL == "" {
		f.apiURL = "https://api.github.com"
		if strings.TrimRight(f.githubURL, "/") != "https://github.com" {
			f.apiURL = strings.TrimRight(f.githubURL, "/") + "/api/v3"
		}
	}
	host, _, err := net.SplitHostPort(f.listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: want a loopback address such as 127.0.0.1:0", f.listen)
	}
	if st, err := os.Stat(f.dir); err != nil || !st.IsDir() {
		return fmt.Errorf("--dir %s is not a directory", f.dir)
	}
	for _, name := range []string{appCreateFiles.key, appCreateFiles.secret, appCreateFiles.env} {
		if _, err := os.Lstat(filepath.Join(f.dir, name)); err == nil {
			return fmt.Errorf("%s already exists; move it away or choose another --dir", filepath.Join(f.dir, name))
		}
	}
	return nil
}

// createdApp is the part of GitHub's conversion answer app create uses.
type createdApp struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	Name          string `json:"name"`
	HTMLURL       string `json:"html_url"`
	PEM           string `json:"pem"`
	WebhookSecret string `json:"webhook_secret"`
	Owner         struct {
		Login string `json:"login"`
	} `json:"owner"`
}

func appCreate(ctx context.Context, f appCreateFlags, stdout io.Writer) error {
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", f.listen, err)
	}
	defer ln.Close()
	local := "http://" + ln.Addr().String()
	m, err := manifest.Build(manifest.Options{Name: f.name, PublicURL: f.publicURL, RedirectURL: local + "/callback"})
	if err != nil {
		return err
	}
	fl := &manifestFlow{f: f, local: local, manifest: m, state: randomState(), done: make(chan flowResult, 1)}
	srv := &http.Server{Handler: fl, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		// Let the callback finish its page (Close would cut it off, and the
		// browser would retry against a closed port).
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	who := "your personal account"
	if f.org != "" {
		who = "the organisation " + f.org + " (you must be one of its owners)"
	}
	fmt.Fprintf(stdout, "Open this page in a browser signed in to GitHub to create the App %q for %s:\n\n  %s/\n\n", m.Name, who, local)
	fmt.Fprintf(stdout, "It sends the App manifest to GitHub; check the name, click \"Create GitHub App\", and GitHub\nsends you back to this page. Waiting up to %s (Ctrl-C to stop)...\n", f.timeout)
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	select {
	case <-ctx.Done():
		return fmt.Errorf("no redirect from GitHub within %s: nothing was created here (if GitHub created the App, delete it in its settings and run again)", f.timeout)
	case r := <-fl.done:
		if r.err != nil {
			return r.err
		}
		printServeConfig(stdout, f, r)
		return nil
	}
}

type flowResult struct {
	app   createdApp
	files map[string]string // env name -> absolute path
	err   error
}

// manifestFlow serves the local page and GitHub's redirect.
type manifestFlow struct {
	f        appCreateFlags
	local    string
	manifest manifest.Manifest
	state    string
	used     atomic.Bool // a callback with the right state came: the code is exchanged once
	done     chan flowResult
}

var manifestPage = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Create the {{.Name}} GitHub App</title></head>
<body>
<p>Sending the App manifest to GitHub&hellip;</p>
<form id="f" method="post" action="{{.Action}}">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<button type="submit">Create the {{.Name}} GitHub App on GitHub</button>
</form>
<script nonce="{{.Nonce}}">document.getElementById("f").submit()</script>
</body></html>
`))

var donePage = template.Must(template.New("done").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><p>{{.Message}}</p>{{if .Link}}<p><a href="{{.Link}}">{{.Link}}</a></p>{{end}}</body></html>
`))

func (fl *manifestFlow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Only this page, by the address it was opened at: a DNS-rebinding page
	// elsewhere cannot drive it.
	if "http://"+r.Host != fl.local {
		http.Error(w, "wrong host", http.StatusMisdirectedRequest)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		fl.page(w)
	case r.Method == http.MethodGet && r.URL.Path == "/callback":
		fl.callback(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (fl *manifestFlow) newAppURL() string {
	base := strings.TrimRight(fl.f.githubURL, "/")
	if fl.f.org != "" {
		return base + "/organizations/" + url.PathEscape(fl.f.org) + "/settings/apps/new?state=" + fl.state
	}
	return base + "/settings/apps/new?state=" + fl.state
}

func (fl *manifestFlow) page(w http.ResponseWriter) {
	mj, err := json.Marshal(fl.manifest)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	nonce := randomState()
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; form-action "+strings.TrimRight(fl.f.githubURL, "/"))
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = manifestPage.Execute(w, map[string]string{"Name": fl.manifest.Name, "Action": fl.newAppURL(), "Manifest": string(mj), "Nonce": nonce})
}

func (fl *manifestFlow) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(fl.state)) != 1 {
		w.WriteHeader(http.StatusBadRequest)
		_ = donePage.Execute(w, map[string]string{"Title": "Wrong state", "Message": "This redirect was not started by this page; nothing was exchanged."})
		return
	}
	if !fl.used.CompareAndSwap(false, true) {
		w.WriteHeader(http.StatusConflict)
		_ = donePage.Execute(w, map[string]string{"Title": "Already done", "Message": "The code was already exchanged; see the terminal."})
		return
	}
	res := fl.exchange(r.Context(), q.Get("code"))
	fl.done <- res
	if res.err != nil {
		w.WriteHeader(http.StatusBadGateway)
		_ = donePage.Execute(w, map[string]string{"Title": "Failed", "Message": res.err.Error()})
		return
	}
	_ = donePage.Execute(w, map[string]string{"Title": "App created",
		"Message": "The App " + res.app.Name + " exists and its credentials are written. Install it on your repositories; the terminal shows how to start it.",
		"Link":    installURL(res.app)})
}

// exchange trades the code for the App's credentials and writes them.
func (fl *manifestFlow) exchange(ctx context.Context, code string) flowResult {
	if code == "" || strings.ContainsAny(code, "/?#") {
		return flowResult{err: errors.New("GitHub's redirect carried no usable code")}
	}
	u := strings.TrimRight(fl.f.apiURL, "/") + "/app-manifests/" + url.PathEscape(code) + "/conversions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return flowResult{err: err}
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return flowResult{err: fmt.Errorf("exchanging the code with %s: %w", fl.f.apiURL, err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return flowResult{err: fmt.Errorf("exchanging the code: GitHub answered %s (codes are valid once, for an hour)", resp.Status)}
	}
	var app createdApp
	if err := json.Unmarshal(body, &app); err != nil || app.ID <= 0 || app.PEM == "" || app.WebhookSecret == "" {
		return flowResult{err: fmt.Errorf("exchanging the code: GitHub's answer lacks the App id, key or webhook secret")}
	}
	files, err := writeAppFiles(fl.f, app)
	if err != nil {
		return flowResult{app: app, err: fmt.Errorf("the App %s (id %d) was created, but %w; generate a new private key and webhook secret in its settings", app.Slug, app.ID, err)}
	}
	return flowResult{app: app, files: files}
}

// writeAppFiles writes the key, the secret and the serve configuration,
// each 0600 and never over an existing file.
func writeAppFiles(f appCreateFlags, app createdApp) (map[string]string, error) {
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, err
	}
	key, secret := filepath.Join(dir, appCreateFiles.key), filepath.Join(dir, appCreateFiles.secret)
	env := serveEnv(f, app, key, secret)
	for _, w := range []struct{ path, content string }{
		{key, app.PEM}, {secret, app.WebhookSecret + "\n"}, {filepath.Join(dir, appCreateFiles.env), env},
	} {
		if err := writeNew(w.path, w.content); err != nil {
			return nil, err
		}
	}
	return map[string]string{"STEPGATE_GITHUB_PRIVATE_KEY_FILE": key, "STEPGATE_WEBHOOK_SECRET_FILE": secret, "env": filepath.Join(dir, appCreateFiles.env)}, nil
}

func writeNew(path, content string) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, errors.Unwrap(err))
	}
	if _, err := fh.WriteString(content); err != nil {
		fh.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return fh.Close()
}

// serveEnv is the configuration of `stepgate serve` for the new App, one
// VAR=value a line (for `set -a; . stepgate.env`, docker --env-file or a
// Kubernetes ConfigMap). It holds paths, not secrets.
func serveEnv(f appCreateFlags, app createdApp, key, secret string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "STEPGATE_PUBLIC_URL=%s\n", f.publicURL)
	fmt.Fprintf(&b, "STEPGATE_GITHUB_APP_ID=%d\n", app.ID)
	fmt.Fprintf(&b, "STEPGATE_GITHUB_APP_SLUG=%s\n", app.Slug)
	fmt.Fprintf(&b, "STEPGATE_GITHUB_PRIVATE_KEY_FILE=%s\n", key)
	fmt.Fprintf(&b, "STEPGATE_WEBHOOK_SECRET_FILE=%s\n", secret)
	if f.apiURL != "https://api.github.com" {
		fmt.Fprintf(&b, "STEPGATE_GITHUB_API_URL=%s\n", f.apiURL)
	}
	return b.String()
}

func installURL(app createdApp) string {
	return strings.TrimRight(app.HTMLURL, "/") + "/installations/new"
}

func printServeConfig(w io.Writer, f appCreateFlags, r flowResult) {
	fmt.Fprintf(w, "\nCreated the GitHub App %q (id %d): %s\n", r.app.Name, r.app.ID, r.app.HTMLURL)
	fmt.Fprintf(w, "Wrote, mode 0600:\n  %s\n  %s\n  %s\n", r.files["STEPGATE_GITHUB_PRIVATE_KEY_FILE"], r.files["STEPGATE_WEBHOOK_SECRET_FILE"], r.files["env"])
	fmt.Fprintf(w, "\nInstall it on the repositories that use stepgate (and on the owner's .github repository\nfor the org-wide policy):\n\n  %s\n", installURL(r.app))
	fmt.Fprintf(w, "\nStart the App with this configuration (add STEPGATE_STORE for production):\n\n")
	for _, line := range strings.Split(strings.TrimSpace(serveEnv(f, r.app, r.files["STEPGATE_GITHUB_PRIVATE_KEY_FILE"], r.files["STEPGATE_WEBHOOK_SECRET_FILE"])), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
	fmt.Fprintf(w, "\n  set -a; . %s; set +a; stepgate serve\n", r.files["env"])
}

func randomState() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
