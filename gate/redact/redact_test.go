package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"plain command kept", "kubectl get pods -n prod", nil, "kubectl get pods -n prod"},
		{"github classic token", "curl -H 'Authorization: token ghp_0123456789abcdefghijABCDEFGHIJ012345' https://api.github.com", nil, "curl -H 'Authorization: token ***' https://api.github.com"},
		{"fine-grained pat", "git clone https://x:github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv@github.com/o/r", nil, "git clone https://x:***@github.com/o/r"},
		{"aws key id", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws s3 ls", nil, "AWS_ACCESS_KEY_ID=*** aws s3 ls"},
		{"env secret value", "mysql -u root -phunter2secret prod", []string{"hunter2secret"}, "mysql -u root -p*** prod"},
		{"short secret ignored", "echo abc", []string{"abc"}, "echo abc"},
		{"url credentials", "psql postgres://admin:s3cr3tpass@db.internal/app", nil, "psql postgres://admin:***@db.internal/app"},
		{"keyed value", "terraform apply -var db_password=correcthorse", nil, "terraform apply -var db_password=***"},
		{"token flag", "kubectl --token=abcdef123456 get pods", nil, "kubectl --token=*** get pods"},
		{"variable reference kept", "kubectl --token=$KUBE_TOKEN get pods", nil, "kubectl --token=$KUBE_TOKEN get pods"},
		{"high entropy", "deploy --key 9fQz2LkP8vXw3RtY7uNb4MhJ6cGd", nil, "deploy --key ***"},
		{"git sha kept", "git checkout 3f786850e387550fdab836ed7e6dc881de23001b", nil, "git checkout 3f786850e387550fdab836ed7e6dc881de23001b"},
		{"identifier kept", "export MY_VERY_LONG_CONFIG_NAME_V2=1", nil, "export MY_VERY_LONG_CONFIG_NAME_V2=1"},
		{"author flag kept", "git log --author=johnsmith", nil, "git log --author=johnsmith"},
		{"jwt", "curl -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2lnbmF0dXJlX2hlcmU'", nil, "curl -H 'Authorization: Bearer ***'"},
		{"private key", "echo '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----' > k", nil, "echo '***' > k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := String(tt.in, tt.secrets...); got != tt.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCodeBlockCannotBeClosed(t *testing.T) {
	t.Parallel()
	in := "echo ```\n</code></pre><script>alert(1)</script>\n````\n@octocat \u202Egnp.exe"
	got := CodeBlock(in)
	lines := strings.Split(got, "\n")
	fence := strings.TrimSuffix(lines[0], "text")
	if len(fence) != 5 {
		t.Fatalf("fence = %q, want 5 backticks (longest run inside is 4)", fence)
	}
	if lines[len(lines)-1] != fence {
		t.Fatalf("block does not end with its fence: %q", got)
	}
	for _, l := range lines[1 : len(lines)-1] {
		if strings.HasPrefix(strings.TrimSpace(l), fence) {
			t.Errorf("inner line %q could close the fence", l)
		}
	}
	if strings.ContainsRune(got, '\u202E') || !strings.Contains(got, `\u{202E}`) {
		t.Errorf("bidi override not made visible: %q", got)
	}
}

func TestVisible(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ls\x00-la", `ls\u{0000}-la`},
		{"a\tb\nc", "a\tb\nc"},
		{"zero\u200bwidth", `zero\u{200B}width`},
		{"bad\xffutf8", `bad\xFFutf8`},
		{"café", "café"},
	}
	for _, tt := range tests {
		if got := Visible(tt.in); got != tt.want {
			t.Errorf("Visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInlineCode(t *testing.T) {
	t.Parallel()
	if got, want := InlineCode("echo `id`\n  && ls", 80), "``echo `id` && ls``"; got != want {
		t.Errorf("InlineCode = %q, want %q", got, want)
	}
	if got := InlineCode(strings.Repeat("a", 100), 10); got != "`aaaaaaaaa…`" {
		t.Errorf("InlineCode cut = %q", got)
	}
}
