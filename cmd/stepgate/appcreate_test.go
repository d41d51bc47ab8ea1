package main

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/app/manifest"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// syncBuffer collects a command's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var localPageRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// startAppCreate runs `stepgate app create` against the stand-in and
// returns the local page's URL, the output and a channel with the exit code.
func startAppCreate(t *testing.T, gs *ghstandin.Server, dir string, extra ...string) (string, *syncBuffer, <-chan int) {
	t.Helper()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	args := append([]string{"create", "--public-url", "https://gate.acme.example", "--dir", dir,
		"--github-url", gs.URL(), "--api-url", gs.URL(), "--timeout", "30s"}, extra...)
	code := make(chan int, 1)
	go func() { code <- runApp(context.Background(), args, out, errOut) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if u := localPageRE.FindString(out.String()); u != "" {
			return u, out, code
		}
		select {
		case c := <-code:
			t.Fatalf("app create exited %d: %s%s", c, out, errOut)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no local page URL in the output: %q", out.String())
	return "", nil, nil
}

var (
	formActionRE = regexp.MustCompile(`<form id="f" method="post" action="([^"]+)">`)
	manifestRE   = regexp.MustCompile(`name="manifest" value="([^"]+)"`)
)

// browse plays the browser: it loads the local page and submits its form
// to GitHub (the stand-in), following GitHub's redirect back to the page.
func browse(t *testing.T, page string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action") {
		t.Errorf("local page CSP %q does not restrict where the form may post", csp)
	}
	action, mf := formActionRE.FindSubmatch(b), manifestRE.FindSubmatch(b)
	if action == nil || mf == nil {
		t.Fatalf("local page has no manifest form:\n%s", b)
	}
	resp, err = http.PostForm(html.UnescapeString(string(action[1])), url.Values{"manifest": {html.UnescapeString(string(mf[1]))}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// TestAppCreate: the manifest is posted to GitHub for the org, the code
// comes back and is exchanged, the key and secret land in 0600 files, and
// the printed configuration starts an App that authenticates to GitHub
// and accepts GitHub's signed webhooks.
func TestAppCreate(t *testing.T) {
	t.Parallel()
	const secret, repoName = "manifest-flow-secret", "acme/payments"
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: secret})
	dir := t.TempDir()
	page, out, code := startAppCreate(t, gs, dir, "--org", "acme", "--name", "stepgate-acme")
	resp, body := browse(t, page)
	if resp.StatusCode != 200 || !strings.Contains(body, "installations/new") {
		t.Fatalf("callback page: %d\n%s", resp.StatusCode, body)
	}
	if c := <-code; c != 0 {
		t.Fatalf("app create exited %d:\n%s", c, out)
	}
	apps := gs.CreatedApps()
	if len(apps) != 1 {
		t.Fatalf("created apps = %+v", apps)
	}
	want, _ := manifest.Default()
	a := apps[0]
	if a.Owner != "acme" || a.Name != "stepgate-acme" || a.HookURL != "https://gate.acme.example/webhook" || a.Public || !a.Converted {
		t.Errorf("created app = %+v", a)
	}
	if diff := cmp.Diff(want.DefaultPermissions, a.Permissions); diff != "" {
		t.Errorf("permissions GitHub got (-manifest +posted):\n%s", diff)
	}
	if diff := cmp.Diff(want.DefaultEvents, a.Events); diff != "" {
		t.Errorf("events GitHub got (-manifest +posted):\n%s", diff)
	}
	for name, wantContent := range map[string]string{appCreateFiles.key: string(gs.AppPrivateKeyPEM()), appCreateFiles.secret: secret + "\n"} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, st.Mode().Perm())
		}
		if got, _ := os.ReadFile(p); string(got) != wantContent {
			t.Errorf("%s: content differs from what GitHub handed out", name)
		}
	}
	if strings.Contains(out.String(), secret) || strings.Contains(out.String(), "PRIVATE KEY") {
		t.Error("the output shows the webhook secret or the private key")
	}
	if !strings.Contains(out.String(), "/apps/stepgate-acme/installations/new") {
		t.Errorf("no install URL in the output:\n%s", out)
	}
	env := printedConfig(t, out.String())
	startPrintedConfig(t, gs, env, repoName)

	// The same directory again: refused before anything is created.
	if c := runApp(context.Background(), []string{"create", "--public-url", "https://x.example", "--dir", dir}, io.Discard, io.Discard); c != 2 {
		t.Errorf("second run into the same --dir: exit %d, want 2", c)
	}
}

// printedConfig reads the VAR=value lines app create printed.
func printedConfig(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && strings.HasPrefix(k, "STEPGATE_") && !strings.Contains(k, " ") {
			env[k] = v
		}
	}
	for _, k := range []string{"STEPGATE_PUBLIC_URL", "STEPGATE_GITHUB_APP_ID", "STEPGATE_GITHUB_PRIVATE_KEY_FILE", "STEPGATE_WEBHOOK_SECRET_FILE", "STEPGATE_GITHUB_API_URL"} {
		if env[k] == "" {
			t.Fatalf("printed configuration lacks %s:\n%s", k, out)
		}
	}
	return env
}

// startPrintedConfig runs `serve` with exactly the printed configuration
// (plus a local store, listener and OIDC issuer for the test) and checks a
// gated command through to an approval by a signed webhook.
func startPrintedConfig(t *testing.T, gs *ghstandin.Server, printed map[string]string, repoName string) {
	t.Helper()
	gs.AddRepo(ghstandin.Repo{FullName: repoName})
	gs.SetPermission(repoName, "carol", "write")
	iss, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{"STEPGATE_STORE": "bolt:" + filepath.Join(t.TempDir(), "s.db"), "STEPGATE_OIDC_ISSUER": iss.URL(), "STEPGATE_ADDR": ln.Addr().String()}
	for k, v := range printed {
		env[k] = v
	}
	cfg, err := parseServeConfig(nil, func(k string) string { return env[k] }, os.ReadFile, io.Discard)
	if err != nil {
		t.Fatalf("the printed configuration does not start serve: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = serve(ctx, cfg, slog.New(slog.DiscardHandler), ln, nil) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	gs.SetWebhookTarget(base + "/webhook")
	p, err := gs.InstallationPayload("created", repoName, "octo")
	if err != nil {
		t.Fatal(err)
	}
	repoID := fmt.Sprint(p["repositories"].([]any)[0].(map[string]any)["id"])
	// The token's audience is the public URL the App was created with.
	tok := iss.Mint(oidcissuer.Claims{Repository: repoName, RepositoryID: repoID, RunID: "1", RunAttempt: "1",
		Actor: "dev", SHA: "00112233445566778899aabbccddeeff00112233", Ref: "refs/heads/main", EventName: "push"}, printed["STEPGATE_PUBLIC_URL"], 5*time.Minute)
	cmd := "./deploy.sh"
	var view gate.RequestView
	if code := call(t, "POST", base+"/api/v1/requests", tok, gate.CreateRequest{Command: cmd, CommandSHA256: gate.CommandHash(cmd, "bash", ""),
		Shell: "bash", Job: "deploy", Step: "release"}, &view); code != 201 || view.Status != gate.StatusPending {
		t.Fatalf("create = %d %s (the App could not authenticate to GitHub with the written key?)", code, view.Status)
	}
	runs := gs.CheckRuns(repoName)
	if len(runs) != 1 {
		t.Fatalf("check runs = %d", len(runs))
	}
	// A click arrives as a webhook signed with the secret GitHub handed out.
	if code, err := gs.ClickAction(repoName, runs[0].ID, "approve", "carol"); err != nil || code != 200 {
		t.Fatalf("signed webhook: %d %v (the App does not accept the written webhook secret?)", code, err)
	}
	if code := call(t, "GET", base+"/api/v1/requests/"+view.ID+"?wait=5s", tok, nil, &view); code != 200 || view.Status != gate.StatusApproved {
		t.Fatalf("after the click: %d %s, want approved", code, view.Status)
	}
}

// A redirect that does not carry the page's state is refused without
// exchanging anything; the right one still works afterwards.
func TestAppCreateRefusesForeignRedirect(t *testing.T) {
	t.Parallel()
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: "s"})
	dir := t.TempDir()
	page, out, code := startAppCreate(t, gs, dir)
	resp, err := http.Get(page + "callback?code=stolen&state=guess")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("foreign redirect: %d, want 400", resp.StatusCode)
	}
	for _, c := range gs.Calls() {
		if strings.Contains(c.Route, "app-manifests") {
			t.Fatalf("a foreign redirect exchanged a code: %+v", c)
		}
	}
	// A request naming another host (DNS rebinding) is refused too.
	req, _ := http.NewRequest("GET", page, nil)
	req.Host = "evil.example:80"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("request for another host: %v %v", resp, err)
	}
	if resp, _ := browse(t, page); resp.StatusCode != 200 {
		t.Fatalf("real flow after the foreign redirect: %d", resp.StatusCode)
	}
	if c := <-code; c != 0 {
		t.Fatalf("exit %d:\n%s", c, out)
	}
	if apps := gs.CreatedApps(); len(apps) != 1 || apps[0].Owner != "octocat" {
		t.Errorf("personal App: %+v", apps)
	}
}
