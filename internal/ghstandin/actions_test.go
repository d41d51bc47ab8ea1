package ghstandin_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/webhookschema"
)

// The stand-in's job-level gate side: its run and its webhook pass
// GitHub's descriptions, a review resolves the waiting job, and a review
// GitHub's description forbids is caught by the validator.
func TestDeploymentProtectionRule(t *testing.T) {
	t.Parallel()
	gh, a, tok := newStandin(t, "")
	gh.SetFile(repo, headSHA, ".github/workflows/deploy.yml", "on: push\n")
	id := gh.AddWorkflowRun(ghstandin.WorkflowRun{Repo: repo, HeadSHA: headSHA, Event: "pull_request", PullRequests: []int{12},
		Referenced: []ghstandin.ReferencedWorkflow{{Path: "other/repo/.github/workflows/x.yml@v1", SHA: headSHA, Ref: "refs/tags/v1"}}})
	runPath := "/repos/" + repo + "/actions/runs/" + strconv.FormatInt(id, 10)
	if st, m := a.do("GET", runPath, tok, nil); st != 200 || m["head_sha"] != headSHA || m["run_attempt"].(float64) != 1 {
		t.Fatalf("get run: %d %v", st, m)
	}
	if st, m := a.do("GET", "/repos/"+repo+"/contents/.github/workflows/deploy.yml?ref="+headSHA, tok, nil); st != 200 || m["sha"] != ghstandin.BlobSHA("on: push\n") {
		t.Fatalf("file at the head commit: %d %v", st, m)
	}
	p, err := gh.DeploymentProtectionRulePayload(repo, id, "production")
	if err != nil {
		t.Fatal(err)
	}
	if err := webhookschema.ForTest(t).Validate("deployment_protection_rule", "requested", p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(p["deployment_callback_url"].(string), runPath+"/deployment_protection_rule") {
		t.Errorf("callback URL %v", p["deployment_callback_url"])
	}
	if gh.WaitingDeployments(id, "Production") != 1 {
		t.Fatal("the job does not wait")
	}
	review := runPath + "/deployment_protection_rule"
	if st, _ := a.do("POST", review, tok, map[string]any{"environment_name": "production", "comment": "waiting for sre"}); st != 204 || gh.WaitingDeployments(id, "production") != 1 {
		t.Fatalf("comment-only review: %d", st)
	}
	if st, _ := a.do("POST", review, tok, map[string]any{"environment_name": "production", "state": "approved", "comment": "ok"}); st != 204 || gh.WaitingDeployments(id, "production") != 0 {
		t.Fatalf("approval: %d", st)
	}
	if st, _ := a.do("POST", review, tok, map[string]any{"environment_name": "production", "state": "approved"}); st != 422 {
		t.Errorf("second approval with nothing waiting: %d, want 422", st)
	}
	if errs := gh.TakeValidationErrors(); len(errs) != 0 {
		t.Fatalf("valid traffic failed validation: %v", errs)
	}
	a.do("POST", review, tok, map[string]any{"environment_name": "production", "state": "maybe"})
	if errs := gh.TakeValidationErrors(); len(errs) == 0 {
		t.Error(`a review with state "maybe" passed GitHub's description`)
	}
	if rs := gh.DeploymentReviews(repo); len(rs) != 4 || rs[1].State != "approved" || rs[1].Comment != "ok" {
		t.Errorf("reviews = %+v", rs)
	}
}
