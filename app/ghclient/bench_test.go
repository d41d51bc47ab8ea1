package ghclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

// BenchmarkPermission measures a cached-token API call through the whole
// client stack (go-github, ghinstallation, retry+metrics transport) against
// the stand-in on loopback, without OpenAPI validation.
func BenchmarkPermission(b *testing.B) {
	gh := ghstandin.New(ghstandin.Options{})
	defer gh.Close()
	gh.AddRepo(ghstandin.Repo{FullName: repoName})
	gh.SetPermission(repoName, "alice", "write")
	c, err := New(Config{AppID: gh.AppID(), PrivateKey: gh.AppPrivateKeyPEM(), APIURL: gh.URL(),
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Permission(ctx, repoName, "alice"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Permission(ctx, repoName, "alice"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if n := gh.TokensIssued(); n != 1 {
		b.Errorf("tokens issued = %d, want 1", n)
	}
}
