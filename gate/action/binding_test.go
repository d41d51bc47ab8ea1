package action

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/gate"
)

// Issue #10: the runner sends the command with secrets masked inside
// literal words only; the code after a secret-looking prefix stays visible.
func TestSentCommandKeepsCodeBehindSecrets(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{
		"echo -----BEGIN RSA PRIVATE KEY----- ; touch hidden",
		"deploy --token=xK9fQ2mZpL7vR4tW8yB3nC6d && touch hidden",
		"psql password=hunter2hunter2 ; touch hidden",
	} {
		h := newHarness(t)
		h.app.setCreate(rejected)
		if code := h.run(context.Background(), h.config(cmd)); code != ExitRejected {
			t.Fatalf("%q: exit = %d, want %d", cmd, code, ExitRejected)
		}
		got := h.app.snapshot().created[0].Command
		if !strings.Contains(got, "touch hidden") {
			t.Errorf("sent %q for %q: the code behind the secret is hidden from the App", got, cmd)
		}
	}
}

// The variables the command reads are bound with their values (a secret's
// as a salted hash only), and the repository files it runs with their blob
// ids; the hash covers both.
func TestBindingCoversVariablesAndFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	ws := h.env["GITHUB_WORKSPACE"]
	script := "#!/bin/bash\necho deploying to $TARGET\n"
	os.WriteFile(filepath.Join(ws, "deploy.sh"), []byte(script), 0o755)
	h.env["REGION"], h.env["API_TOKEN"], h.env["TARGET"] = "eu-west-1", "tok_9fK2mQ7xL4pZ8vR3", "prod"
	h.env["GITHUB_REPOSITORY_ID"] = "42"
	cfg := h.config("./deploy.sh --region $REGION --auth \"$API_TOKEN\" --n $((COUNT + 1)) $UNSET_ONE")
	if code := h.run(context.Background(), cfg); code != 0 {
		t.Fatalf("exit = %d\n%s", code, h.stderr.String())
	}
	req := h.app.snapshot().created[0]
	env := map[string]gate.EnvVar{}
	for _, v := range req.Env {
		env[v.Name] = v
	}
	if v := env["REGION"]; v.Value != "eu-west-1" || v.Secret {
		t.Errorf("REGION = %+v, want its value", v)
	}
	if v := env["API_TOKEN"]; !v.Secret || v.Value != "" || v.Hash != gate.SecretHash("42", "API_TOKEN", "tok_9fK2mQ7xL4pZ8vR3") {
		t.Errorf("API_TOKEN = %+v, want a secret with its salted hash only", v)
	}
	if v := env["TARGET"]; v.Value != "prod" {
		t.Errorf("TARGET (read by deploy.sh) = %+v, want bound", v)
	}
	if v, ok := env["COUNT"]; !ok || !v.Unset {
		t.Errorf("COUNT (read in arithmetic) = %+v, want bound as unset", v)
	}
	if len(req.Files) != 1 || req.Files[0].Path != "deploy.sh" || req.Files[0].BlobSHA != gate.GitBlobSHA([]byte(script)) {
		t.Errorf("files = %+v, want deploy.sh with its blob id", req.Files)
	}
	want := gate.Binding{Command: req.Command, ShellTemplate: "bash --noprofile --norc -eo pipefail {0}", Env: req.Env, Files: req.Files}
	want.Command = cfg.Command // the hash covers the real bytes
	if req.CommandSHA256 != want.Hash() {
		t.Errorf("command_sha256 does not cover the variables and files")
	}
	for _, v := range req.Env {
		if strings.Contains(v.Value, "tok_9fK2mQ7xL4pZ8vR3") {
			t.Errorf("a secret value left the runner in %s", v.Name)
		}
	}
}

// A script changed after the request was approved (while the gate waited)
// does not run.
func TestScriptChangedWhileWaitingDoesNotRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ws := h.env["GITHUB_WORKSPACE"]
	path := filepath.Join(ws, "deploy.sh")
	os.WriteFile(path, []byte("echo ran >> marker\n"), 0o755)
	h.app.setPoll(func(n int, v *gate.RequestView) int {
		if n == 1 {
			os.WriteFile(path, []byte("echo evil >> marker\n"), 0o755)
		}
		return approveAfter(2)(n, v)
	})
	code := h.run(context.Background(), h.config("./deploy.sh"))
	if code != ExitMismatch {
		t.Fatalf("exit = %d, want %d (mismatch)\n%s", code, ExitMismatch, h.stderr.String())
	}
	if _, err := os.Stat(h.marker()); err == nil {
		t.Error("the changed script ran")
	}
	if !strings.Contains(h.stderr.String(), "deploy.sh") {
		t.Errorf("log does not name the changed file:\n%s", h.stderr.String())
	}
}

// Shell start-up variables an earlier step set (GITHUB_ENV) do not run
// before the approved bytes, and exported functions cannot replace its
// commands.
func TestStartupVariablesDoNotRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	evil := filepath.Join(h.dir, "evil.sh")
	os.WriteFile(evil, []byte("echo pwned >> "+filepath.Join(h.dir, "pwned")+"\n"), 0o644)
	h.env["BASH_ENV"], h.env["ENV"] = evil, evil
	h.env["BASH_FUNC_echo%%"] = "() { builtin echo pwned >> " + filepath.Join(h.dir, "pwned") + "; }"
	h.env["SHELLOPTS"] = "xtrace"
	h.env["PS4"] = "$(echo pwned >> " + filepath.Join(h.dir, "pwned") + ")"
	if code := h.run(context.Background(), h.config(markCmd)); code != 0 {
		t.Fatalf("exit = %d\n%s", code, h.stderr.String())
	}
	if h.runs() != 1 {
		t.Errorf("command ran %d times, want 1", h.runs())
	}
	if b, err := os.ReadFile(filepath.Join(h.dir, "pwned")); err == nil {
		t.Errorf("a start-up variable ran code before the approved bytes: %q", b)
	}
}

func TestCommandEnvironDropsStartupVariables(t *testing.T) {
	t.Parallel()
	got := commandEnviron([]string{"PATH=/bin", "BASH_ENV=/x", "ENV=/x", "BASH_FUNC_ls%%=() { :; }", "SHELLOPTS=xtrace", "HOME=/h", "REGION=eu"})
	want := []string{"PATH=/bin", "HOME=/h", "REGION=eu"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("commandEnviron = %q, want %q", got, want)
	}
}

func rejected(_ int, _ gate.CreateRequest, v *gate.RequestView) int {
	v.Status, v.Reason, v.Rule = gate.StatusRejected, "denied by rule never", "never"
	return 201
}

// A short or plain value of a secret-named variable is still sent as a
// hash only: binding errs on the side of never sending a secret.
func TestBindingHashesSecretNamedVariables(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.setCreate(allowed)
	h.env["DB_PASSWORD"] = "abc"
	if code := h.run(context.Background(), h.config(`test -n "$DB_PASSWORD"`)); code != 0 {
		t.Fatalf("exit = %d\n%s", code, h.stderr.String())
	}
	req := h.app.snapshot().created[0]
	if len(req.Env) != 1 || !req.Env[0].Secret || req.Env[0].Value != "" || req.Env[0].Hash == "" {
		t.Errorf("env = %+v, want DB_PASSWORD as a secret hash", req.Env)
	}
}
