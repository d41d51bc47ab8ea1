package wiring

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stepgate/stepgate/app/ghapi"
)

// fakeGitHub is a test's GitHub; New must not call it.
type fakeGitHub struct{ ghapi.GitHub }

// A test builds the App as serve does, from the defaults, with its own
// GitHub in place of the real client; New opens the store it names and
// Close closes it.
func TestNewWithATestsGitHub(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Store = "bolt:" + filepath.Join(t.TempDir(), "stepgate.db")
	cfg.PublicURL, cfg.WebhookSecrets = "http://127.0.0.1:1", []string{"s"}
	app, err := New(context.Background(), cfg, Options{GitHub: fakeGitHub{}})
	if err != nil {
		t.Fatal(err)
	}
	if app.GitHub != nil || app.Server == nil || app.Store == nil {
		t.Fatalf("App = %+v; want the server over the test's GitHub", app)
	}
	rec := httptest.NewRecorder()
	app.HTTPServer(nil, nil).Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/healthz = %d", rec.Code)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWebURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "https://github.com", "https://api.github.com": "https://github.com",
		"https://ghes.example/api/v3": "https://ghes.example", "https://ghes.example/api/v3/": "https://ghes.example",
	} {
		if got := WebURL(in); got != want {
			t.Errorf("WebURL(%q) = %q, want %q", in, got, want)
		}
	}
}
