package action

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/gate/redact"
)

func redactString(s string, secrets ...string) string { return redact.String(s, secrets...) }

func TestConfigFromInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		inputs  map[string]string
		want    Config
		wantErr string
	}{
		{"defaults", map[string]string{"run": "make deploy", "server": "https://sg.example.com/"},
			Config{Command: "make deploy", Server: "https://sg.example.com/", Shell: "bash", Timeout: 30 * time.Minute}, ""},
		{"everything", map[string]string{"run": "x", "server": "https://s", "environment": "prod", "reason": "r",
			"timeout": "1h30m", "shell": "sh", "working-directory": "db", "approvers": "team:acme/sre,\n user:alice\n"},
			Config{Command: "x", Server: "https://s", Environment: "prod", Reason: "r", Timeout: 90 * time.Minute,
				Shell: "sh", WorkingDirectory: "db", Approvers: []string{"team:acme/sre", "user:alice"}}, ""},
		{"no run", map[string]string{"server": "https://s"}, Config{}, "input `run` is required"},
		{"no server", map[string]string{"run": "x"}, Config{}, "input `server` is required"},
		{"not a url", map[string]string{"run": "x", "server": "sg.example.com"}, Config{}, "must be an http(s) URL"},
		{"bad timeout", map[string]string{"run": "x", "server": "https://s", "timeout": "30"}, Config{}, "not a Go duration"},
		{"negative timeout", map[string]string{"run": "x", "server": "https://s", "timeout": "-1m"}, Config{}, "must be positive"},
		{"bad shell", map[string]string{"run": "x", "server": "https://s", "shell": "zsh"}, Config{}, "must contain {0}"},
		{"cmd", map[string]string{"run": "x", "server": "https://s", "shell": "cmd"}, Config{}, "only available on Windows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ConfigFromInputs(func(k string) string { return tt.inputs[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	env := map[string]string{"STEPGATE_SERVER": "https://from-env"}
	tests := []struct {
		name    string
		args    []string
		want    Config
		wantErr string
	}{
		{"argv after --", []string{"--environment", "prod", "--", "kubectl", "apply", "-f", "my file.yaml", "it's"},
			Config{Command: `kubectl apply -f 'my file.yaml' 'it'\''s'`, Server: "https://from-env", Environment: "prod", Shell: "bash", Timeout: 30 * time.Minute}, ""},
		{"--command", []string{"--server", "http://127.0.0.1:1", "--command", "a && b", "--timeout", "5m", "--approvers", "user:a,user:b", "--shell", "sh", "--working-directory", "w", "--reason", "why"},
			Config{Command: "a && b", Server: "http://127.0.0.1:1", Shell: "sh", Timeout: 5 * time.Minute, Approvers: []string{"user:a", "user:b"}, WorkingDirectory: "w", Reason: "why"}, ""},
		{"both", []string{"--command", "a", "--", "b"}, Config{}, "not both"},
		{"none", []string{}, Config{}, "a command (--command STRING or -- CMD ARGS...) is required"},
		{"bad timeout", []string{"--timeout", "soon", "--", "x"}, Config{}, "--timeout: \"soon\" is not a Go duration"},
		{"unknown flag", []string{"--nope"}, Config{}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			got, err := ParseFlags(tt.args, func(k string) string { return env[k] }, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	_, err := ParseFlags([]string{"--help"}, func(string) string { return "" }, &stdout, &stderr)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v, want ErrHelp", err)
	}
	for _, s := range []string{"-server", "STEPGATE_SERVER", "-working-directory", "-approvers", "id-token: write", "Example", "Exit status"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("help lacks %q:\n%s", s, stdout.String())
		}
	}
}

func TestShellArgv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		shell string
		want  []string
	}{
		{"bash", []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", "/t/s"}},
		{"", []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", "/t/s"}},
		{"sh", []string{"sh", "-e", "/t/s"}},
		{"python", []string{"python", "/t/s"}},
		{"pwsh", []string{"pwsh", "-command", ". '/t/s'"}},
		{"perl -w {0}", []string{"perl", "-w", "/t/s"}},
		{`bash -c "source {0}"`, []string{"bash", "-c", "source /t/s"}},
	}
	for _, tt := range tests {
		sh, err := shellTemplate(tt.shell)
		if err != nil {
			t.Fatalf("%q: %v", tt.shell, err)
		}
		got, err := sh.argv("/t/s")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.shell, diff)
		}
	}
}

func TestSplitWordsErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`a 'b`, `a "b`} {
		if _, err := splitWords(s); err == nil {
			t.Errorf("splitWords(%q): want error", s)
		}
	}
}

func TestSecretValues(t *testing.T) {
	t.Parallel()
	environ := []string{
		"PATH=/usr/bin:/bin", "HOME=/home/runner", "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567",
		"DB_PASSWORD=hunter2hunter2", "NPM_TOKEN=npm_abcdefabcdefabcdefabcdefabcdefabcdef", "DEBUG=true",
		"SHORT_KEY=abc", "APITOKEN=glued-secret-1", "PATCH_LEVEL=3.14.159", "PLAIN=ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
		"INPUT_RUN=make deploy", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	}
	redact := func(s string, _ ...string) string {
		if strings.HasPrefix(s, "ghp_") {
			return "***"
		}
		return s
	}
	got := secretValues(environ, redact)
	want := []string{"ghp_0123456789abcdefghijABCDEFGHIJ0123456789", "npm_abcdefabcdefabcdefabcdefabcdefabcdef",
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "hunter2hunter2", "glued-secret-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
}

// Issue 13: masking judged names only, so any variable whose name held CERT
// blanked its path (/etc/ssl/certs/ca-certificates.crt) in the log and in
// the command reviewers see. Values are judged now.
func TestSecretValuesJudgeValuesNotJustNames(t *testing.T) {
	t.Parallel()
	environ := []string{
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		"NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
		"TLS_CERT=-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
		"GIT_ASKPASS=/usr/lib/git-core/git-gui--askpass",
		"DB_PASSWORD_FILE=/run/secrets/db_password",
		"DB_PASSWORD=/run/secrets/db_password_too",
		"SECRET_NAME=prod-database",
		"SESSION_TIMEOUT=3600000",
		"SSH_KEY_PATH=deploy/keys/id_ed25519",
		"SORT_KEY=created_at_desc",
		"AUTH_URL=https://login.example.com/oauth",
		"TMPDIR_RANDOM=/tmp/tmp.Xk29dkLq83jdkfLQz9d0Qp",
		// secrets, whatever their names
		"API_KEY=abcd1234efgh5678",
		"TLS_KEY=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
		"DATABASE_URL=postgres://app:s3cr3tpass@db.internal/app",
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"SLACK=https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx",
		"DB_PASSWORD=1234567890",
	}
	got := secretValues(environ, redactString)
	want := []string{
		"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
		"https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx",
		"postgres://app:s3cr3tpass@db.internal/app",
		"AKIAIOSFODNN7EXAMPLE", "abcd1234efgh5678", "1234567890",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
}

// Binding hashes any value whose name suggests a secret (erring costs
// nothing there); masking, stricter, judges the value too.
func TestMayHoldSecret(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"DEPLOY_KEY": true, "SESSION_ID": true, "SSL_CERT_FILE": true, "AUTH_HEADER": true, "DB_PASSWORD_FILE": true,
		"API_TOKEN": true, "REGION": false, "PATH": false, "KEYBOARD": false, "MONKEY": false,
	} {
		if got := mayHoldSecret(name); got != want {
			t.Errorf("mayHoldSecret(%q) = %v, want %v", name, got, want)
		}
	}
	if secretName("SSL_CERT_FILE") || secretName("DEPLOY_KEY_PATH") || !secretName("API_KEY") {
		t.Error("secretName should judge CERT/KEY_PATH names as not holding a secret, API_KEY as holding one")
	}
}

func TestShellJoin(t *testing.T) {
	t.Parallel()
	got := shellJoin([]string{"echo", "", "a b", "$HOME", "ok-1.2/x=y"})
	if want := `echo '' 'a b' '$HOME' ok-1.2/x=y`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
