package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/app/wiring"
)

// STEPGATE_WEBHOOK_SECRET_FILE is read when STEPGATE_WEBHOOK_SECRET is
// unset; one secret per line (or comma-separated) for a rotation.
func TestServeWebhookSecretFile(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"STEPGATE_ADDR": ":8080", "STEPGATE_STORE": "bolt:stepgate.db", "STEPGATE_OIDC_ISSUER": "https://token.actions.githubusercontent.com",
		"STEPGATE_LOG_LEVEL": "info", "STEPGATE_SWEEP_INTERVAL": "5s", "STEPGATE_POLL_INTERVAL": "100ms", "STEPGATE_MAX_WAIT": "60s",
		"STEPGATE_GITHUB_FILE_CACHE_TTL": "0s", "STEPGATE_NO_PARKING": "false",
		"STEPGATE_PUBLIC_URL": "https://stepgate.example.com", "STEPGATE_GITHUB_APP_ID": "42",
		"STEPGATE_GITHUB_PRIVATE_KEY": testKeyPEM(t), "STEPGATE_WEBHOOK_SECRET_FILE": "/run/secrets/webhook",
	}
	files := map[string]string{"/run/secrets/webhook": "new\nold\n"}
	readFile := func(p string) ([]byte, error) {
		if v, ok := files[p]; ok {
			return []byte(v), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	c, err := wiring.LoadConfig(func(k string) string { return env[k] }, readFile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"new", "old"}, c.WebhookSecrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	env["STEPGATE_WEBHOOK_SECRET_FILE"] = "/nonexistent"
	_, err = wiring.LoadConfig(func(k string) string { return env[k] }, readFile)
	var ce *configError
	if !errors.As(err, &ce) || ce.Var != "STEPGATE_WEBHOOK_SECRET_FILE" || strings.Contains(err.Error(), "new") {
		t.Errorf("missing file: %v, want an error naming STEPGATE_WEBHOOK_SECRET_FILE", err)
	}
}
