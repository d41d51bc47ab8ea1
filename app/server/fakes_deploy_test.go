package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/gate"
)

// The fake's job-level gate calls (the flow tests of deployments use the
// GitHub stand-in). Runs and files at commits would live in the fake's file
// table under keys no real path has ("\x01run\x00…", "path@ref").

func (f *fakeGitHub) WorkflowRun(_ context.Context, repo string, runID int64) (ghapi.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("workflow_run")
	raw, ok := f.files[repo+"\x00"+fmt.Sprintf("\x01run\x00%d", runID)]
	if !ok {
		return ghapi.WorkflowRun{}, fmt.Errorf("run %d: %w", runID, ghapi.ErrNotFound)
	}
	var run ghapi.WorkflowRun
	err := json.Unmarshal([]byte(raw), &run)
	return run, err
}

func (f *fakeGitHub) FileSHA(_ context.Context, repo, path, ref string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("file_sha")
	c, ok := f.files[repo+"\x00"+path+"@"+ref]
	if !ok {
		return "", fmt.Errorf("%s@%s: %w", path, ref, ghapi.ErrNotFound)
	}
	return gate.GitBlobSHA([]byte(c)), nil
}

func (f *fakeGitHub) ReviewDeployment(_ context.Context, repo string, runID int64, environment, state, comment string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("review_deployment:" + state)
	return nil
}
