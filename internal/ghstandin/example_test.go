package ghstandin_test

import (
	"fmt"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

// A stand-in for the demo: no OpenAPI validation (tests use
// standintest.New), one repository with a policy on its default branch, a
// pull request and reviewers. Point ghclient at URL() with
// AppPrivateKeyPEM(), and SetWebhookTarget at the App's /webhook.
func Example() {
	gh := ghstandin.New(ghstandin.Options{WebhookSecret: "secret"})
	defer gh.Close()
	gh.AddRepo(ghstandin.Repo{FullName: "acme/app"})
	gh.SetFile("acme/app", "", ".github/stepgate.yml", "version: 1\n")
	gh.SetPermission("acme/app", "alice", "maintain")
	gh.SetTeamMember("acme", "sre", "alice", "active")
	gh.AddPullRequest("acme/app", ghstandin.PullRequest{Number: 1, HeadSHA: "0123456789012345678901234567890123456789", HeadRef: "feature"})
	fmt.Println(gh.BotLogin(), gh.RepoID("acme/app") > 0, gh.InstallationID("acme/app") > 0)
	// Output: stepgate[bot] true true
}
