package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/app/wiring"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// The demo repository and its people. alice opens the PR and runs the
// workflow (so she cannot approve her own commands); bob is an SRE and carol
// a maintainer, both eligible reviewers; dave has read access only.
const (
	repoName    = "acme/shop"
	prNumber    = 7
	actor       = "alice"
	reviewer    = "bob"
	maintainer  = "carol"
	bystander   = "dave"
	headSHA     = "8f14e45fceea167a5a36dedd4bea2543c0ffee01"
	mergeSHA    = "c9f0f895fb98ab9159f51fd0297e236dc0ffee02"
	workflowRef = "acme/shop/.github/workflows/deploy.yml@refs/pull/7/merge"
)

// policyYAML is the demo repository's .github/stepgate.yml.
const policyYAML = `version: 1
defaults: { timeout: 10m, self_approval: false }
rules:
  - name: read-only
    if: { command: ["kubectl get *", "kubectl describe *", "terraform plan*"] }
    then: allow
  - name: never
    if: { command: ["rm -rf /*", "terraform destroy*"] }
    then: deny
  - name: prod
    if: { environment: [production] }
    require:
      any_of:
        - team: acme/sre
        - role: maintain
    remember: 24h
deployments:            # job-level gates: stepgate as the environment's protection rule
  - name: workflow-changed
    if: { environment: production, workflow_changed: true }
    require: { all_of: [ { team: acme/sre }, { role: maintain } ] }
  - name: prod-job
    if: { environment: production }
    require: { team: acme/sre }
`

const codeownersFile = `*   @acme/sre
`

// world is everything the demo started; close stops it all.
type world struct {
	dir     string // temp dir: store, workspace, fake tools, step files
	standin *ghstandin.Server
	issuer  *oidcissuer.Issuer
	appURL  string
	repoID  int64 // the stand-in's id of the demo repository; OIDC tokens carry it

	stop func() // stops the App's HTTP server and background work
	st   *boltstore.Store
}

// startWorld starts the GitHub stand-in, the OIDC issuer and the App, all
// on 127.0.0.1 with free ports, and prepares the demo repository.
func startWorld(ctx context.Context, dir string, log *slog.Logger) (w *world, err error) {
	w = &world{dir: dir}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	secret, err := randomHex(32)
	if err != nil {
		return nil, err
	}
	// No OpenAPI validator: the demo must not need node_modules.
	w.standin = ghstandin.New(ghstandin.Options{WebhookSecret: secret, Logger: log})
	if w.issuer, err = oidcissuer.New(oidcissuer.Options{}); err != nil {
		return nil, fmt.Errorf("starting the OIDC issuer: %w", err)
	}
	if w.st, err = boltstore.Open(boltstore.Options{Path: filepath.Join(dir, "stepgate.db")}); err != nil {
		return nil, fmt.Errorf("opening the store: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the App: %w", err)
	}
	w.appURL = "http://" + ln.Addr().String()
	// Built like `stepgate serve` builds it (app/wiring, from serve's
	// defaults); only the store, the stand-in's URLs and the file cache
	// differ.
	cfg := wiring.DefaultConfig()
	cfg.GitHubAppID, cfg.GitHubPrivateKey, cfg.GitHubAPIURL = w.standin.AppID(), w.standin.AppPrivateKeyPEM(), w.standin.URL()
	// Longer than the scripted run takes, so the remembered command's
	// check ("no GitHub call at all") does not depend on timing; serve
	// revalidates the policy file every 10 s by default.
	cfg.FileCacheTTL = 5 * time.Minute
	cfg.PublicURL, cfg.OIDCIssuer = w.appURL, w.issuer.URL()
	cfg.WebhookSecrets, cfg.GitHubAppSlug = []string{secret}, strings.TrimSuffix(w.standin.BotLogin(), "[bot]")
	app, err := wiring.New(ctx, cfg, wiring.Options{Store: w.st, Logger: log})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("building the App: %w", err)
	}
	w.stop = serve(ctx, ln, app)
	w.standin.SetWebhookTarget(w.appURL + "/webhook")
	if err := w.seed(); err != nil {
		return nil, err
	}
	return w, nil
}

// serve runs the App until the returned stop is called.
func serve(ctx context.Context, ln net.Listener, app *wiring.App) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	srv := app.HTTPServer(nil, nil)
	var wg sync.WaitGroup
	wg.Go(func() { _ = app.Server.Run(ctx) })
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Default().Debug("demo App stopped", "err", err)
		}
	})
	return func() {
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		srv.Close() // long-polls do not end by themselves
		wg.Wait()
	}
}

// seed creates the repository, its people, policy, CODEOWNERS and the PR.
func (w *world) seed() error {
	s := w.standin
	s.AddRepo(ghstandin.Repo{FullName: repoName, DefaultBranch: "main"})
	for _, u := range []string{actor, reviewer, maintainer, bystander} {
		s.AddUser(u)
	}
	s.SetPermission(repoName, actor, "write")
	s.SetPermission(repoName, reviewer, "write")
	s.SetPermission(repoName, maintainer, "maintain")
	s.SetPermission(repoName, bystander, "read")
	s.SetTeamMember("acme", "sre", reviewer, "active")
	s.SetFile(repoName, "", ".github/stepgate.yml", policyYAML)
	s.SetFile(repoName, "", ".github/CODEOWNERS", codeownersFile)
	s.AddPullRequest(repoName, ghstandin.PullRequest{
		Number: prNumber, Title: "Release 1.4.2: orders table migration", HeadSHA: headSHA,
		HeadRef: "release-1.4.2", BaseRef: "main", Author: actor,
	})
	// The App binds requests to the repository's id, so the runner's OIDC
	// token must carry the same one.
	if w.repoID = s.RepoID(repoName); w.repoID == 0 {
		return fmt.Errorf("repository id of %s: unknown to the stand-in", repoName)
	}
	return nil
}

func (w *world) close() {
	if w.stop != nil {
		w.stop()
	}
	if w.st != nil {
		w.st.Close()
	}
	if w.issuer != nil {
		w.issuer.Close()
	}
	if w.standin != nil {
		w.standin.Close()
	}
}

// pageURL is the stand-in's reviewer page.
func (w *world) pageURL() string { return w.standin.URL() + "/_standin/" }

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writeExecutable writes a small shell script.
func writeExecutable(path, body string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755)
}
