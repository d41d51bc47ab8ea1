package ghclient

import (
	"context"
	"errors"
	"testing"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/internal/ghstandin"
)

func TestPullRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ghstandin.Options{}, Config{})
	f.gh.AddPullRequest(repoName, ghstandin.PullRequest{Number: 8, HeadSHA: mainSHA, HeadRef: "feature", Author: "pat"})
	got, err := f.c.PullRequest(context.Background(), repoName, 8)
	want := ghapi.PullRequest{Number: 8, State: "open", HeadSHA: mainSHA, HeadRef: "feature", BaseRef: "main", Author: "pat"}
	if err != nil || got != want {
		t.Fatalf("PullRequest = %+v, %v; want %+v", got, err, want)
	}
	if _, err := f.c.PullRequest(context.Background(), repoName, 99); !errors.Is(err, ghapi.ErrNotFound) {
		t.Errorf("missing pull request: %v, want ErrGitHubNotFound", err)
	}
}
