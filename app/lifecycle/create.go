package lifecycle

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

var (
	hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hexSHA    = regexp.MustCompile(`^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$`)
)

const (
	maxCommand   = 64 << 10
	maxTimeout   = 24 * time.Hour
	maxApprovers = 20
)

// Create is POST /api/v1/requests: a gate asks to run a command. It
// checks the body, establishes the run's context from the token and
// GitHub (never from the body), verifies the files the command executes,
// decides (freeze, policy, remembered commands, velocity), stores the
// request and, while it is pending, announces it on GitHub. A repeat of
// the same job's create returns the stored request (created false),
// opening its check run if an earlier attempt could not.
func (l *Lifecycle) Create(ctx context.Context, id *Identity, body *gate.CreateRequest) (r *gate.Request, created bool, err error) {
	if err := validateCreate(body); err != nil {
		return nil, false, err
	}
	if err := validateBinding(body); err != nil {
		return nil, false, err
	}
	key := gate.IdempotencyKey(keyParts(id, body))
	reqID := gate.RequestID(key)
	ctx = WithLog(ctx, l.log.With("request_id", reqID, "repo", id.Repo, "run_id", id.RunID))
	// A create costs no read: a repeat re-evaluates (GitHub's answers are
	// cached) and CreateRequest returns the stored request unchanged.
	rc, err := l.runContextOf(ctx, id, body)
	if err != nil {
		return nil, false, err
	}
	req := l.newRequest(id, body, rc, key, reqID)
	setOrigin(req, body)
	if err := l.verifyFiles(ctx, req.Repo, id.SHA, req.Files); err != nil {
		return nil, false, err
	}
	if err := l.decide(ctx, req, body); err != nil {
		return nil, false, err
	}
	stored, created, err := l.storeNew(ctx, req)
	if err != nil {
		return nil, false, err
	}
	if !created {
		return l.answerExisting(ctx, stored), false, nil
	}
	return l.afterCreate(ctx, stored), true, nil
}

// answerExisting is a repeated create's answer: the stored request, with
// its check run opened now if the create that stored it could not (GitHub
// failing: the gate repeats its create until it gets a check run). A gate
// repeats only after its create was answered or timed out, so the create
// that stored the request is done announcing; should it still be at it
// (slower than the gate's timeout), a second check run appears that works
// like the first, its button naming the same request.
func (l *Lifecycle) answerExisting(ctx context.Context, r *gate.Request) *gate.Request {
	if r.Status == gate.StatusPending && r.CheckRunID == 0 {
		r = l.openOnGitHub(ctx, r)
	}
	return r
}

// storeNew stores a new request before anything announces it (store
// first, then announce): a check run or comment never names a request
// that does not exist, so a click or comment always finds it, and a failed
// write leaves nothing on GitHub to clean up. A request decided at once
// (policy, remembered) carries its audit event in this write, like a
// vote's decision (finish.go).
func (l *Lifecycle) storeNew(ctx context.Context, req *gate.Request) (*gate.Request, bool, error) {
	if req.Status.Final() {
		req.PendingAudit = l.trail.decision(req, store.Decide{Status: req.Status, DecidedBy: req.DecidedBy,
			Reason: req.FinalReason, Remember: req.Remembered}, "", l.now())
	}
	stored, created, err := l.store.CreateRequest(ctx, req)
	if err != nil {
		return nil, false, l.storeErr("create_request", err)
	}
	return stored, created, nil
}

func validateCreate(b *gate.CreateRequest) error {
	switch {
	case strings.TrimSpace(b.Command) == "":
		return errorf(Invalid, "command is required")
	case len(b.Command) > maxCommand:
		return errorf(TooLarge, "command too long")
	case !hexSHA256.MatchString(b.CommandSHA256):
		return errorf(Invalid, "command_sha256 must be 64 lower-case hex digits")
	case b.HeadSHA != "" && !hexSHA.MatchString(b.HeadSHA):
		return errorf(Invalid, "head_sha must be a commit SHA")
	case b.PullRequest < 0:
		return errorf(Invalid, "pull_request must not be negative")
	case b.TimeoutSeconds < 0:
		return errorf(Invalid, "timeout_seconds must not be negative")
	case len(b.Approvers) > maxApprovers:
		return errorf(Invalid, "too many approvers")
	case len(b.Job) > 256 || len(b.Step) > 256 || len(b.Environment) > 256 || len(b.Reason) > 4096 || len(b.Shell) > 256 || len(b.WorkingDirectory) > 4096:
		return errorf(Invalid, "a field is too long")
	}
	if b.Shell == "" {
		b.Shell = "bash"
	}
	return validateOrigin(b)
}

func (l *Lifecycle) newRequest(id *Identity, b *gate.CreateRequest, rc runContext, key, reqID string) *gate.Request {
	now := l.now().UTC()
	return &gate.Request{
		ID: reqID, IdempotencyKey: key,
		Repo: id.Repo, RepoID: id.RepoID, RunID: id.RunID, RunAttempt: id.RunAttempt,
		Workflow: id.Workflow, Job: b.Job, Step: b.Step, Actor: id.Actor, Ref: id.Ref, EventName: id.EventName,
		HeadSHA: rc.HeadSHA, Commit: strings.ToLower(id.SHA), PRNumber: rc.PR, PRAuthor: rc.PRAuthor,
		Environment: rc.Env, EnvironmentSource: rc.EnvFrom,
		CheckRunIDClaim: id.CheckRunID, JobWorkflowRef: id.JobWorkflowRef,
		Command:       redact.String(b.Command),
		CommandSHA256: b.CommandSHA256,
		Shell:         b.Shell, WorkingDirectory: b.WorkingDirectory,
		Reason:    redact.String(b.Reason),
		Approvers: b.Approvers,
		Env:       b.Env,
		Files:     slices.Clone(b.Files),
		CreatedAt: now,
		Status:    gate.StatusPending,
	}
}

// afterCreate records a new request and, while it is pending, announces
// it (check run and comment); it returns the request with their ids.
func (l *Lifecycle) afterCreate(ctx context.Context, r *gate.Request) *gate.Request {
	l.metrics.requests.WithLabelValues(string(r.Status)).Inc()
	l.countAgent(r)
	l.noteAgentCreated(ctx, r) // agentsession.go
	details := map[string]string{"command": r.Command, "risk": r.RiskLevel, "rule": r.Rule,
		"environment": r.Environment, "command_sha256": r.CommandSHA256, "run_id": fmt.Sprint(r.RunID)}
	if r.Spec != nil && r.Spec.Require != nil {
		details["requirement"] = r.Spec.Require.String()
	}
	l.trail.record(ctx, r, gate.EventRequested, r.Actor, "", details)
	if r.Status.Final() {
		if r.PendingAudit != nil {
			l.trail.seal(ctx, r)
		} else {
			l.trail.final(ctx, r, "")
		}
		return r
	}
	l.metrics.pending.Inc()
	return l.openOnGitHub(ctx, r)
}
