package oidcissuer

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"
)

const aud = "https://stepgate.example.com"

var job = Claims{
	Repository: "acme/app", RepositoryID: "101", RepositoryOwner: "acme", RepositoryOwnerID: "100",
	RunID: "9001", RunNumber: "7", RunAttempt: "1", Actor: "dev", ActorID: "555", Ref: "refs/heads/main",
	RefType: "branch", SHA: strings.Repeat("a", 40), EventName: "push", Environment: "production",
	Workflow: "deploy", JobWorkflowRef: "acme/app/.github/workflows/deploy.yml@refs/heads/main",
}

func newIssuer(t *testing.T) *Issuer {
	t.Helper()
	i, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(i.Close)
	return i
}

func verifier(t *testing.T, i *Issuer) *oidc.IDTokenVerifier {
	t.Helper()
	p, err := oidc.NewProvider(context.Background(), i.URL())
	if err != nil {
		t.Fatal(err)
	}
	return p.Verifier(&oidc.Config{ClientID: aud, SupportedSigningAlgs: []string{"RS256"}})
}

func TestMintVerifiesWithGoOIDC(t *testing.T) {
	t.Parallel()
	i := newIssuer(t)
	v := verifier(t, i)
	tests := []struct {
		name    string
		token   string
		wantErr string
	}{
		{"valid", i.Mint(job, aud, time.Minute), ""},
		{"expired", i.Mint(job, aud, -time.Minute), "expired"},
		{"other key", i.MintWith(job, MintOptions{Audience: aud, OtherKey: true}), "signature"},
		{"forged key id", i.MintWith(job, MintOptions{Audience: aud, OtherKey: true, KeyID: "forged"}), "signature"},
		{"wrong issuer", i.MintWith(job, MintOptions{Audience: aud, Issuer: "https://token.actions.githubusercontent.com"}), "different provider"},
		{"wrong audience", i.Mint(job, "https://other.example.com", time.Minute), "audience"},
	}
	for _, tt := range tests {
		_, err := v.Verify(context.Background(), tt.token)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestClaims(t *testing.T) {
	t.Parallel()
	i := newIssuer(t)
	tok, err := verifier(t, i).Verify(context.Background(), i.Mint(job, aud, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := tok.Claims(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"repository": "acme/app", "repository_id": "101", "repository_owner": "acme", "repository_owner_id": "100",
		"run_id": "9001", "run_number": "7", "run_attempt": "1", "actor": "dev", "actor_id": "555",
		"ref": "refs/heads/main", "ref_type": "branch", "sha": strings.Repeat("a", 40), "event_name": "push",
		"environment": "production", "workflow": "deploy",
		"job_workflow_ref": "acme/app/.github/workflows/deploy.yml@refs/heads/main",
		"sub":              "repo:acme/app:environment:production", "iss": i.URL(), "aud": aud,
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			delete(got, k) // jti, iat, nbf, exp vary
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

func TestRunnerEndpointWithGoGithubActions(t *testing.T) {
	t.Parallel()
	i := newIssuer(t)
	reqURL, reqTok := i.RunnerEndpoint(job)
	if !strings.Contains(reqURL, "?") {
		t.Errorf("request URL %q has no query string; clients append &audience=", reqURL)
	}
	env := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": reqURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": reqTok}
	a := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }))
	raw, err := a.GetIDToken(context.Background(), aud)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := verifier(t, i).Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var c Claims
	if err := tok.Claims(&c); err != nil || c.Repository != "acme/app" || c.RunID != "9001" {
		t.Errorf("claims %+v, %v", c, err)
	}

	env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "wrong"
	if _, err := a.GetIDToken(context.Background(), aud); err == nil {
		t.Error("wrong request token accepted")
	}
	// Plain HTTP, appending &audience= as the Actions toolkit does.
	req, _ := http.NewRequest("GET", reqURL+"&audience=x", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no bearer token: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestMintKeyID(t *testing.T) {
	t.Parallel()
	i := newIssuer(t)
	tok, err := jose.ParseSignedCompact(i.MintWith(job, MintOptions{Audience: aud, OtherKey: true, KeyID: "forged"}), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if kid := tok.Signatures[0].Header.KeyID; kid != "forged" {
		t.Errorf("kid = %q, want forged", kid)
	}
}
