// Package benchrig starts stepgate's real parts on 127.0.0.1 for the
// benchmarks (bench/) and the fault and hostile-input tests (test/faults,
// test/hostile; through rigtest): App child processes configured and wired
// as `stepgate serve` is (app/wiring), on a bolt file or a shared DynamoDB
// table (dynalite); the seeded World (the GitHub stand-in with its call log
// and fault injection, one repository with its people and policy, and the
// test OIDC issuer, internal/oidcissuer); and gates driven through
// gate/action, the code behind `stepgate action` and `stepgate run`.
package benchrig

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/ghstandin"
	"github.com/stepgate/stepgate/internal/oidcissuer"
)

// The seeded repository and its people: alice runs the workflows (so she
// cannot approve), bob is on team acme/sre, carol maintains the repository.
const (
	Repo     = "acme/shop"
	Actor    = "alice"
	Reviewer = "bob"
	Second   = "carol"
	HeadSHA  = "8f14e45fceea167a5a36dedd4bea2543c0ffee01"
	MergeSHA = "c9f0f895fb98ab9159f51fd0297e236dc0ffee02"
	PR       = 7
)

// Policy is the seeded .github/stepgate.yml: `echo allowed…` passes at
// once, `echo two-person…` needs two approvals with write access (bob and
// carol), everything else one of bob or carol.
const Policy = `version: 1
defaults: { timeout: 10m, self_approval: false }
rules:
  - name: fast
    if: { command: ["echo allowed*"] }
    then: allow
  - name: two-person
    if: { command: ["echo two-person*"] }
    require: { role: write, count: 2 }
  - name: review
    require: { any_of: [ { team: acme/sre }, { role: maintain } ] }
`

// World is the stand-in and issuer with the repository seeded: the one
// seeded world the bench and the suites under test/ share.
type World struct {
	Standin *ghstandin.Server
	Issuer  *oidcissuer.Issuer
	Secret  string
	RepoID  int64
	Dir     string
}

// NewWorld starts the stand-in and the issuer and seeds the repository.
// dir holds event files and step directories.
func NewWorld(dir string) (*World, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	w := &World{Secret: hex.EncodeToString(b), Dir: dir}
	w.Standin = ghstandin.New(ghstandin.Options{WebhookSecret: w.Secret, Logger: slog.New(slog.DiscardHandler)})
	iss, err := oidcissuer.New(oidcissuer.Options{})
	if err != nil {
		w.Standin.Close()
		return nil, err
	}
	w.Issuer = iss
	for _, u := range []string{Actor, Reviewer, Second} {
		w.Standin.AddUser(u)
	}
	w.Standin.SetTeamMember("acme", "sre", Reviewer, "active")
	if w.RepoID, err = w.AddRepo(Repo, Policy); err != nil {
		w.Close()
		return nil, err
	}
	ev, _ := json.Marshal(map[string]any{"number": PR, "pull_request": map[string]any{
		"number": PR, "head": map[string]any{"sha": HeadSHA, "ref": "feature"}}})
	if err := os.WriteFile(filepath.Join(dir, "event.json"), ev, 0o644); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Close stops the stand-in and the issuer.
func (w *World) Close() {
	w.Standin.Close()
	w.Issuer.Close()
}

// AppConfig is an App configuration for this world.
func (w *World) AppConfig(storeSpec string) AppConfig {
	return AppConfig{Store: storeSpec, GitHubURL: w.Standin.URL(), AppID: w.Standin.AppID(),
		PrivateKeyPEM: w.Standin.AppPrivateKeyPEM(), WebhookSecret: w.Secret, Issuer: w.Issuer.URL()}
}

// Claims are the OIDC claims of run runID of the seeded repository.
func (w *World) Claims(runID int64) oidcissuer.Claims {
	return oidcissuer.Claims{
		Repository: Repo, RepositoryID: strconv.FormatInt(w.RepoID, 10), RepositoryOwner: "acme",
		RunID: strconv.FormatInt(runID, 10), RunAttempt: "1", Actor: Actor,
		Ref: fmt.Sprintf("refs/pull/%d/merge", PR), SHA: MergeSHA, EventName: "pull_request",
		Workflow: "deploy", JobWorkflowRef: Repo + "/.github/workflows/deploy.yml@refs/pull/7/merge",
	}
}

// Token mints a gate token for run runID with audience appURL, valid for
// an hour (the bench's waits are long).
func (w *World) Token(runID int64, appURL string) (string, error) {
	return w.Issuer.Mint(w.Claims(runID), appURL, time.Hour), nil
}

// RequestID is the id the App gives the request of a gate (see GateSpec).
func (w *World) RequestID(g GateSpec) string {
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute // RunGate's default
	}
	body := gate.CreateRequest{Command: g.Command, CommandSHA256: gate.CommandHash(g.Command, "bash", ""), Shell: "bash",
		Job: "deploy", Step: g.stepName(), TimeoutSeconds: int64(timeout / time.Second)}
	job := gate.JobIdentity{RepoID: w.RepoID, RunID: g.RunID, RunAttempt: 1, JobWorkflowRef: w.Claims(g.RunID).JobWorkflowRef}
	return gate.RequestID(gate.IdempotencyKey(gate.RequestKey(job, &body)))
}

// CheckRun waits until the App opened the check run of request id.
func (w *World) CheckRun(ctx context.Context, id string) (int64, error) {
	for {
		for _, c := range w.Standin.CheckRuns(Repo) {
			if c.ExternalID == id {
				return c.ID, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("no check run for %s: %w", id, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// AddRepo adds another repository of the acme organisation with the same
// people and the given policy ("" = none) and returns its id.
func (w *World) AddRepo(name, policy string) (int64, error) {
	s := w.Standin
	s.AddRepo(ghstandin.Repo{FullName: name, DefaultBranch: "main"})
	s.SetPermission(name, Actor, "write")
	s.SetPermission(name, Reviewer, "write")
	s.SetPermission(name, Second, "maintain")
	if policy != "" {
		s.SetFile(name, "", ".github/stepgate.yml", policy)
	}
	s.AddPullRequest(name, ghstandin.PullRequest{Number: PR, Title: "bench", HeadSHA: HeadSHA,
		HeadRef: "feature", BaseRef: "main", Author: Actor})
	return repoID(s, name)
}

// TokenFor mints a gate token for run runID of repository name (id).
func (w *World) TokenFor(name string, id, runID int64, appURL string) (string, error) {
	c := w.Claims(runID)
	c.Repository, c.RepositoryID = name, strconv.FormatInt(id, 10)
	return w.Issuer.Mint(c, appURL, time.Hour), nil
}

// repoID is the stand-in's id of repository name, which the App binds
// requests to and the OIDC tokens must carry.
func repoID(s *ghstandin.Server, name string) (int64, error) {
	if id := s.RepoID(name); id != 0 {
		return id, nil
	}
	return 0, fmt.Errorf("repository id of %s: unknown to the stand-in", name)
}
