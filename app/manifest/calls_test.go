package manifest_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"testing"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/app/ghclient"
	"github.com/stepgate/stepgate/app/manifest"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/ghstandin/standintest"
)

func endpointKeys() map[string]manifest.Endpoint {
	out := map[string]manifest.Endpoint{}
	for _, e := range manifest.Endpoints {
		out[e.Method+" "+e.Route] = e
	}
	return out
}

// TestEndpointsAreTheClientsRoutes: Endpoints lists exactly the routes the
// GitHub client knows (its route table), so a new call cannot land without
// saying which permission it needs.
func TestEndpointsAreTheClientsRoutes(t *testing.T) {
	t.Parallel()
	got := map[string]bool{}
	for _, e := range manifest.Endpoints {
		got[e.Route] = true
	}
	var missing []string
	for _, r := range ghclient.Routes() {
		if !got[r] {
			missing = append(missing, r)
		}
		delete(got, r)
	}
	if len(missing) > 0 {
		t.Errorf("ghclient calls routes that manifest.Endpoints does not list (add each with GitHub's documented permission): %v", missing)
	}
	for r := range got {
		t.Errorf("manifest.Endpoints lists %s, which ghclient never calls: remove it (and its permission)", r)
	}
}

// TestEndpointsExistInGitHubsDescription: every listed route is a real
// GitHub route with that method.
func TestEndpointsExistInGitHubsDescription(t *testing.T) {
	t.Parallel()
	path, err := standintest.FindSpec()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for _, e := range manifest.Endpoints {
		ops, ok := spec.Paths[e.Route]
		if _, has := ops[toLower(e.Method)]; !ok || !has {
			t.Errorf("%s %s is not in GitHub's OpenAPI description", e.Method, e.Route)
		}
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestEveryCallIsDeclared drives each ghapi.GitHub method of the real
// client against the GitHub stand-in and checks that every request it
// made is in Endpoints, authenticated as Endpoints says (JWT routes need no
// permission; every other route names one).
func TestEveryCallIsDeclared(t *testing.T) {
	t.Parallel()
	gs := standintest.New(t, ghstandin.Options{})
	const repo = "acme/payments"
	gs.AddRepo(ghstandin.Repo{FullName: repo})
	gs.SetFile(repo, "main", ".github/stepgate.yml", "version: 1\n")
	gs.SetPermission(repo, "carol", "write")
	const sha = "0123456789abcdef0123456789abcdef01234567"
	gs.SetFile(repo, sha, ".github/workflows/deploy.yml", "on: push\n")
	runID := gs.AddWorkflowRun(ghstandin.WorkflowRun{Repo: repo, HeadSHA: sha, Actor: "dev"})
	gh, err := ghclient.New(ghclient.Config{AppID: gs.AppID(), PrivateKey: gs.AppPrivateKeyPEM(), APIURL: gs.URL(), FileCacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	exercised := githubCalls(context.Background(), gh, gs, repo, sha, runID)
	it := reflect.TypeOf((*ghapi.GitHub)(nil)).Elem()
	var methods []string
	for i := range it.NumMethod() {
		methods = append(methods, it.Method(i).Name)
	}
	var have []string
	for m := range exercised {
		have = append(have, m)
	}
	sort.Strings(have)
	if diff := cmp.Diff(methods, have); diff != "" {
		t.Fatalf("ghapi.GitHub methods (-interface +exercised here): add a call for each new method so its routes are checked:\n%s", diff)
	}
	for _, m := range methods { // in a fixed order: later calls use earlier results
		if err := exercised[m](); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
	}
	checkCallsDeclared(t, gs.Calls())
}

// githubCalls is one call of each ghapi.GitHub method against the
// stand-in's repository repo (commit sha, workflow run runID).
func githubCalls(ctx context.Context, g ghapi.GitHub, gs *ghstandin.Server, repo, sha string, runID int64) map[string]func() error {
	return map[string]func() error{
		"DefaultBranchFile": func() error { _, _, err := g.DefaultBranchFile(ctx, repo, ".github/stepgate.yml"); return err },
		"Permission":        func() error { _, err := g.Permission(ctx, repo, "carol"); return err },
		"TeamMember":        func() error { _, err := g.TeamMember(ctx, "acme", "sre", "carol"); return err },
		"CreateCheckRun": func() error {
			_, _, err := g.CreateCheckRun(ctx, repo, ghapi.CheckRun{Name: "stepgate", HeadSHA: sha, Status: "in_progress", Title: "t", Summary: "s"})
			return err
		},
		"UpdateCheckRun": func() error {
			id := gs.CheckRuns(repo)[0].ID
			return g.UpdateCheckRun(ctx, repo, id, ghapi.CheckRun{Status: "completed", Conclusion: "success", Title: "t", Summary: "s"})
		},
		"CreateIssueComment": func() error {
			gs.AddPullRequest(repo, ghstandin.PullRequest{Number: 7, HeadSHA: sha, HeadRef: "f", Author: "dev"})
			_, _, err := g.CreateIssueComment(ctx, repo, 7, "hello")
			return err
		},
		"UpdateIssueComment": func() error { return g.UpdateIssueComment(ctx, repo, gs.IssueComments(repo, 7)[0].ID, "edited") },
		"CreateCommitComment": func() error {
			_, _, err := g.CreateCommitComment(ctx, repo, sha, "hello")
			return err
		},
		"UpdateCommitComment": func() error { return g.UpdateCommitComment(ctx, repo, gs.CommitComments(repo, sha)[0].ID, "edited") },
		"WorkflowRun": func() error {
			_, err := g.WorkflowRun(ctx, repo, runID)
			return err
		},
		"PullRequest": func() error { _, err := g.PullRequest(ctx, repo, 7); return err },
		"FileSHA":     func() error { _, err := g.FileSHA(ctx, repo, ".github/workflows/deploy.yml", sha); return err },
		"ReviewDeployment": func() error {
			if _, err := gs.DeploymentProtectionRulePayload(repo, runID, "production"); err != nil { // the job now waits
				return err
			}
			return g.ReviewDeployment(ctx, repo, runID, "production", "approved", "approved by carol")
		},
	}
}

// checkCallsDeclared checks that every call is listed in Endpoints and
// authenticated as it says, and that the calls covered enough routes.
func checkCallsDeclared(t *testing.T, calls []ghstandin.Call) {
	t.Helper()
	declared := endpointKeys()
	seen := map[string]bool{}
	for _, c := range calls {
		key := c.Method + " " + c.Route
		seen[key] = true
		e, ok := declared[key]
		switch {
		case !ok:
			t.Errorf("the client called %s, which manifest.Endpoints does not list", key)
		case c.Auth == "jwt" && e.Permission != "":
			t.Errorf("%s is called with the App's JWT but Endpoints gives it permission %s", key, e.Permission)
		case c.Auth == "token" && e.Permission == "":
			t.Errorf("%s is called with an installation token but Endpoints names no permission for it", key)
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct routes called: %v", len(seen), seen)
	}
}
