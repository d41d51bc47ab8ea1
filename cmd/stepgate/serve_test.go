package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/memlimit"
)

func testKeyPEM(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// serveTestEnv is a complete configuration for serve's parser.
func serveTestEnv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"STEPGATE_PUBLIC_URL":         "https://stepgate.example.com/",
		"STEPGATE_GITHUB_APP_ID":      "42",
		"STEPGATE_GITHUB_PRIVATE_KEY": testKeyPEM(t),
		"STEPGATE_WEBHOOK_SECRET":     "new, old",
	}
}

func TestParseServeConfig(t *testing.T) {
	t.Parallel()
	base := serveTestEnv(t)
	with := func(k, v string) map[string]string {
		m := maps.Clone(base)
		m[k] = v
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string // the variable named, "" for success
	}{
		{"complete", base, nil, ""},
		{"no public url", with("STEPGATE_PUBLIC_URL", ""), nil, "STEPGATE_PUBLIC_URL"},
		{"relative public url", with("STEPGATE_PUBLIC_URL", "stepgate.example.com"), nil, "STEPGATE_PUBLIC_URL"},
		{"no app id", with("STEPGATE_GITHUB_APP_ID", ""), nil, "STEPGATE_GITHUB_APP_ID"},
		{"bad app id", with("STEPGATE_GITHUB_APP_ID", "x"), nil, "STEPGATE_GITHUB_APP_ID"},
		{"no key", with("STEPGATE_GITHUB_PRIVATE_KEY", ""), nil, "STEPGATE_GITHUB_PRIVATE_KEY"},
		{"bad key", with("STEPGATE_GITHUB_PRIVATE_KEY", "hello"), nil, "STEPGATE_GITHUB_PRIVATE_KEY"},
		{"missing key file", with("STEPGATE_GITHUB_PRIVATE_KEY", ""), []string{"--github-private-key-file", "/nonexistent/key.pem"}, "STEPGATE_GITHUB_PRIVATE_KEY_FILE"},
		{"no secret", with("STEPGATE_WEBHOOK_SECRET", " , "), nil, "STEPGATE_WEBHOOK_SECRET"},
		{"bad store", with("STEPGATE_STORE", "redis:x"), nil, "STEPGATE_STORE"},
		{"bad addr", with("STEPGATE_ADDR", "8080"), nil, "STEPGATE_ADDR"},
		{"bad issuer", with("STEPGATE_OIDC_ISSUER", "token"), nil, "STEPGATE_OIDC_ISSUER"},
		{"bad log level", with("STEPGATE_LOG_LEVEL", "loud"), nil, "STEPGATE_LOG_LEVEL"},
		{"bad poll interval", with("STEPGATE_POLL_INTERVAL", "0s"), nil, "STEPGATE_POLL_INTERVAL"},
		{"flag fills the gap", with("STEPGATE_PUBLIC_URL", ""), []string{"--public-url", "https://x.example"}, ""},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		_, err := parseServeConfig(tt.args, getenv, os.ReadFile, &bytes.Buffer{})
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+":")):
			t.Errorf("%s: err = %v, want one naming %s", tt.name, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "PRIVATE KEY-----") {
			t.Errorf("%s: the error shows the key", tt.name)
		}
	}
}

// A flag wins over the defaults; unset variables take them.
func TestParseServeConfigDefaults(t *testing.T) {
	t.Parallel()
	base := serveTestEnv(t)
	c, err := parseServeConfig([]string{"--addr", "127.0.0.1:9"}, func(k string) string { return base[k] }, os.ReadFile, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9" || c.Store != "bolt:stepgate.db" || strings.Join(c.WebhookSecrets, "|") != "new|old" ||
		c.OIDCIssuer != "https://token.actions.githubusercontent.com" {
		t.Errorf("config = %+v", c)
	}
}

func TestServeExitsTwoOnBadConfig(t *testing.T) {
	t.Setenv("STEPGATE_PUBLIC_URL", "")
	var stderr bytes.Buffer
	if code := runServe(context.Background(), nil, &bytes.Buffer{}, &stderr); code != 2 {
		t.Fatalf("exit = %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "STEPGATE_PUBLIC_URL") {
		t.Errorf("message %q does not name the variable", stderr.String())
	}
	var out bytes.Buffer
	_, err := parseServeConfig([]string{"--help"}, func(string) string { return "" }, os.ReadFile, &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "STEPGATE_WEBHOOK_SECRET") {
		t.Errorf("--help: %v %q", err, out.String())
	}
}

// TestParseServeRuntimeSettings covers the memory limit and parking
// settings: defaults, the variable, the flag winning over it, bad values.
func TestParseServeRuntimeSettings(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"STEPGATE_PUBLIC_URL":         "https://stepgate.example.com/",
		"STEPGATE_GITHUB_APP_ID":      "42",
		"STEPGATE_GITHUB_PRIVATE_KEY": testKeyPEM(t),
		"STEPGATE_WEBHOOK_SECRET":     "s",
	}
	tests := []struct {
		name          string
		env           map[string]string
		args          []string
		wantLimit     int64
		wantNoParking bool
		wantErr       string // the variable named, "" for success
	}{
		{name: "defaults", wantLimit: memlimit.Default},
		{name: "variable size", env: map[string]string{"STEPGATE_MEMORY_LIMIT": "256MiB"}, wantLimit: 256 << 20},
		{name: "flag size", args: []string{"--memory-limit", "1GiB"}, wantLimit: 1 << 30},
		{name: "flag wins", env: map[string]string{"STEPGATE_MEMORY_LIMIT": "256MiB"}, args: []string{"--memory-limit=off"}, wantLimit: 0},
		{name: "off", env: map[string]string{"STEPGATE_MEMORY_LIMIT": "off"}, wantLimit: 0},
		{name: "bad size", env: map[string]string{"STEPGATE_MEMORY_LIMIT": "lots"}, wantErr: "STEPGATE_MEMORY_LIMIT"},
		{name: "too small", args: []string{"--memory-limit", "1MiB"}, wantErr: "STEPGATE_MEMORY_LIMIT"},
		{name: "no parking variable", env: map[string]string{"STEPGATE_NO_PARKING": "true"}, wantLimit: memlimit.Default, wantNoParking: true},
		{name: "no parking bare flag", args: []string{"--no-parking"}, wantLimit: memlimit.Default, wantNoParking: true},
		{name: "flag turns parking back on", env: map[string]string{"STEPGATE_NO_PARKING": "1"}, args: []string{"--no-parking=false"}, wantLimit: memlimit.Default},
		{name: "bad no parking", env: map[string]string{"STEPGATE_NO_PARKING": "sometimes"}, wantErr: "STEPGATE_NO_PARKING"},
	}
	for _, tt := range tests {
		getenv := func(k string) string {
			if v, ok := tt.env[k]; ok {
				return v
			}
			return base[k]
		}
		got, err := parseServeConfig(tt.args, getenv, os.ReadFile, &bytes.Buffer{})
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+":") {
				t.Errorf("%s: err = %v, want one naming %s", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got.MemoryLimit != tt.wantLimit || got.NoParking != tt.wantNoParking {
			t.Errorf("%s: MemoryLimit %d, NoParking %v; want %d, %v", tt.name, got.MemoryLimit, got.NoParking, tt.wantLimit, tt.wantNoParking)
		}
	}
}
