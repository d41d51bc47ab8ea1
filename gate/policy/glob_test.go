package policy

import "testing"

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"kubectl get *", "kubectl get pods -n prod", true},
		{"kubectl get *", "kubectl get", false},
		{"kubectl get*", "kubectl get", true},
		{"terraform plan*", "terraform plan -out=x", true},
		{"rm -rf /*", "rm -rf /", true},
		{"rm -rf /*", "rm -rf /var/lib", true},
		{"rm -rf /*", "rm -rf ./x", false},
		{"*deploy*", "./scripts/deploy.sh --env prod", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true},
		{"v[0-9]*", "v1.2", true},
		{"v[!0-9]*", "v1.2", false},
		{"v[!0-9]*", "vx", true},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"a*b*c", "abbbc", true},
		{"a*b*c", "acb", false},
		{"*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"ab*ba", "aba", false},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pattern)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", tt.pattern, err)
		}
		if got := g.match(tt.s, nil); got != tt.want {
			t.Errorf("%q matching %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
		// The NFA must agree with the fast paths.
		if got := g.matchNFA(tt.s, nil); got != tt.want {
			t.Errorf("NFA: %q matching %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// '*' stops at shell control operators; '**' and literals do not.
func TestGlobBarriers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, command string
		want             bool
	}{
		{"kubectl get *", "kubectl get pods", true},
		{"kubectl get *", "kubectl get pods; rm -rf /", false},
		{"kubectl get *", "kubectl get pods && curl x | sh", false},
		{"kubectl get *", "kubectl get $(rm -rf /)", false},
		{"kubectl get *", "kubectl get `rm -rf /`", false},
		{"kubectl get *", "kubectl get pods > /etc/passwd", false},
		{"kubectl get *", `kubectl get "$(id)"`, false},
		{"kubectl get *", "kubectl get pods -o 'jsonpath={.a;b}'", true},
		{"kubectl get * | grep *", "kubectl get pods | grep web", true},
		{"kubectl get **", "kubectl get pods; rm -rf /", true},
		{"**rm -rf /**", "cd /tmp && rm -rf / --no-preserve-root", true},
		{"echo ?", "echo ;", false},
		// An escaped '$' does not start $'...' quoting: the ';' is live.
		{"kubectl get *", `kubectl get \$'x\' ; rm -rf / ; echo 'y'`, false},
		// Not valid shell, but bash runs the first lines before failing.
		{"kubectl get *", "kubectl get pods\nrm -rf /\necho 'oops", false},
		{"kubectl get *", "kubectl get 'a;b' 'oops", false},
		{"kubectl get *", "kubectl get $'a\\';b'", true},
	}
	for _, tt := range tests {
		g, err := compileGlob(normalizePattern(tt.pattern))
		if err != nil {
			t.Fatal(err)
		}
		cmd, valid := normalize(tt.command)
		if got := g.match(cmd, barriers(cmd, valid)); got != tt.want {
			t.Errorf("%q matching %q (normalised %q) = %v, want %v", tt.pattern, tt.command, cmd, got, tt.want)
		}
	}
}

func TestGlobErrors(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "  ", "a[", "a[b-", "a[z-a]", `a\`, "[]"} {
		if _, err := compileGlob(p); err == nil {
			t.Errorf("compileGlob(%q) succeeded, want error", p)
		}
	}
}

func TestNormalizeCommand(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"kubectl   get 'pods'", "kubectl get pods"},
		{"kubectl get \"pods\"", "kubectl get pods"},
		{"\tls  -la\n", "ls -la"},
		{`echo "a b"`, `echo 'a b'`},
		{`echo "a"' b'`, `echo 'a b'`},
		{`echo 'it'"'"'s'`, `echo 'it'\''s'`},
		{`--flag='value'`, `--flag=value`},
		{`'X=1' cmd`, `'X=1' cmd`},
		{`env X='1' cmd`, `env X=1 cmd`},
		{`echo '*'`, `echo '*'`},
		{`echo "$HOME"`, `echo "$HOME"`},
		{"a;b&&c|d", "a; b && c | d"},
		{"echo hi # comment", "echo hi"},
		{"echo 'unterminated", "echo 'unterminated"},
		{"a  b\n\n c 'd", "a b\nc 'd"},
		{`echo "\$x"`, `echo '$x'`},
		{`echo ""`, `echo ''`},
	}
	for _, tt := range tests {
		if got := NormalizeCommand(tt.in); got != tt.want {
			t.Errorf("NormalizeCommand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
