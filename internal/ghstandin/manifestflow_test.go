package ghstandin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
)

func TestManifestFlow(t *testing.T) {
	t.Parallel()
	gs := standintest.New(t, ghstandin.Options{WebhookSecret: "whsec"})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path, manifest string) *http.Response {
		t.Helper()
		resp, err := noFollow.PostForm(gs.URL()+path, url.Values{"manifest": {manifest}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	good := `{"name":"Gate Keeper","url":"https://example.com","hook_attributes":{"url":"https://gate.example/webhook"},"redirect_url":"http://127.0.0.1:1/cb","default_permissions":{"checks":"write"},"default_events":["check_run"]}`
	for name, m := range map[string]string{
		"not JSON":             "{",
		"unknown parameter":    `{"url":"https://e.example","redirect_url":"http://127.0.0.1/","hook_attributes":{"active":false},"permissions":{}}`,
		"event without perm":   `{"url":"https://e.example","redirect_url":"http://127.0.0.1/","hook_attributes":{"url":"https://e.example/w"},"default_events":["deployment_protection_rule"]}`,
		"no redirect_url":      `{"url":"https://e.example","hook_attributes":{"url":"https://e.example/w"}}`,
		"bad permission level": `{"url":"https://e.example","redirect_url":"http://127.0.0.1/","hook_attributes":{"url":"https://e.example/w"},"default_permissions":{"checks":"admin"}}`,
	} {
		if resp := post("/settings/apps/new", m); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", name, resp.StatusCode)
		}
	}
	resp := post("/organizations/acme/settings/apps/new?state=xyz", good)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Host != "127.0.0.1:1" || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	convert := func(code string) int {
		resp, err := http.Post(gs.URL()+"/app-manifests/"+code+"/conversions", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	code := loc.Query().Get("code")
	if c := convert(code); c != http.StatusCreated {
		t.Fatalf("conversion: %d", c)
	}
	if c := convert(code); c != http.StatusNotFound {
		t.Errorf("second conversion of the same code: %d, want 404 (codes are single-use)", c)
	}
	apps := gs.CreatedApps()
	if len(apps) != 1 || apps[0].Owner != "acme" || apps[0].Slug != "gate-keeper" || !apps[0].Converted || !strings.HasSuffix(apps[0].HookURL, "/webhook") {
		t.Errorf("created = %+v", apps)
	}
}
