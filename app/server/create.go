package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/decide"
	"github.com/stepgate/stepgate/gate/policy"
	"github.com/stepgate/stepgate/gate/redact"
	"github.com/stepgate/stepgate/gate/risk"
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

// handleCreate is POST /api/v1/requests.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, id *Identity) error {
	var body gate.CreateRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		return err
	}
	if err := validateCreate(&body); err != nil {
		return err
	}
	if err := validateBinding(&body); err != nil {
		return err
	}
	key := gate.IdempotencyKey(keyParts(id, &body))
	reqID := gate.RequestID(key)
	ctx := withLog(r.Context(), s.log.With("request_id", reqID, "repo", id.Repo, "run_id", id.RunID))
	// A first create costs no read. A repeat that reaches the replica which
	// created the request is answered from the store without asking GitHub
	// again; elsewhere it re-evaluates and CreateRequest returns the
	// stored request unchanged.
	if s.recent.has(reqID) {
		if existing, err := s.store.GetRequest(ctx, reqID); err == nil {
			return s.answerExisting(ctx, w, existing)
		}
	}
	rc, err := s.runContextOf(ctx, id, &body)
	if err != nil {
		return err
	}
	req := s.newRequest(id, &body, rc, key, reqID)
	setOrigin(req, &body)
	if err := s.verifyFiles(ctx, req.Repo, id.SHA, req.Files); err != nil {
		return err
	}
	if err := s.decide(ctx, req, &body); err != nil {
		return err
	}
	stored, created, err := s.createAnnounced(ctx, req)
	if err != nil {
		return err
	}
	s.recent.add(reqID)
	if !created {
		return s.answerExisting(ctx, w, stored)
	}
	s.afterCreate(ctx, stored)
	writeJSON(w, http.StatusCreated, s.view(stored))
	return nil
}

// answerExisting answers a repeated create with the stored request, opening
// its check run now if an earlier attempt could not.
func (s *Server) answerExisting(ctx context.Context, w http.ResponseWriter, r *gate.Request) error {
	if r.Status == gate.StatusPending && r.CheckRunID == 0 {
		r = s.openOnGitHub(ctx, r)
	}
	writeJSON(w, http.StatusOK, s.view(r))
	return nil
}

// createAnnounced opens a pending request's check run and comment first
// and stores the request with their ids in the one write that creates it
// (no follow-up update). What announce opened but the store does not
// record is withdrawn: after a failed write (the gate fails closed and may
// retry), or when another replica created the request first (a retried
// create), which adopts them only if it has no check run of its own; if
// recording the adoption fails, that answers like a failed write.
func (s *Server) createAnnounced(ctx context.Context, req *gate.Request) (*gate.Request, bool, error) {
	opened := req.Status == gate.StatusPending && s.announce(ctx, req)
	if req.Status.Final() {
		// Decided at once (policy, remembered): its event rides in the
		// creating write, like a vote's (finish.go).
		req.PendingAudit = s.finalEvent(req, store.Decide{Status: req.Status, DecidedBy: req.DecidedBy,
			Reason: req.FinalReason, Remember: req.Remembered}, "", s.now())
	}
	stored, created, err := s.store.CreateRequest(ctx, req)
	if err != nil {
		if opened {
			s.withdraw(ctx, req, "stepgate could not record this request; nothing will run from it. The step fails and can be re-run.")
		}
		return nil, false, s.storeErr("create_request", err)
	}
	if !opened || created {
		return stored, created, nil
	}
	if stored.Status != gate.StatusPending || stored.CheckRunID != 0 {
		note := "duplicate of an earlier check run for request " + stored.ID + "; use that one"
		if stored.CheckRunURL != "" {
			note += ": " + stored.CheckRunURL
		}
		s.withdraw(ctx, req, note)
		return stored, false, nil
	}
	adopt := *stored
	adopt.CheckRunID, adopt.CheckRunURL, adopt.CommentID, adopt.CommentURL = req.CheckRunID, req.CheckRunURL, req.CommentID, req.CommentURL
	if err := s.store.UpdateRequest(ctx, &adopt); err != nil {
		s.metrics.storeErrors.WithLabelValues("update_request").Inc()
		s.logger(ctx).ErrorContext(ctx, "recording check run", "request_id", req.ID, "err", err)
		s.withdraw(ctx, req, "stepgate could not record this check run; re-run the step")
		// Answer as a failed write: the gate retries its create (or fails
		// closed), instead of answerExisting opening yet another check run
		// that the store cannot record either.
		return nil, false, s.storeErr("update_request", err)
	}
	return &adopt, false, nil
}

func validateCreate(b *gate.CreateRequest) error {
	switch {
	case strings.TrimSpace(b.Command) == "":
		return errorf(http.StatusBadRequest, "command is required")
	case len(b.Command) > maxCommand:
		return errorf(http.StatusRequestEntityTooLarge, "command too long")
	case !hexSHA256.MatchString(b.CommandSHA256):
		return errorf(http.StatusBadRequest, "command_sha256 must be 64 lower-case hex digits")
	case b.HeadSHA != "" && !hexSHA.MatchString(b.HeadSHA):
		return errorf(http.StatusBadRequest, "head_sha must be a commit SHA")
	case b.PullRequest < 0:
		return errorf(http.StatusBadRequest, "pull_request must not be negative")
	case b.TimeoutSeconds < 0:
		return errorf(http.StatusBadRequest, "timeout_seconds must not be negative")
	case len(b.Approvers) > maxApprovers:
		return errorf(http.StatusBadRequest, "too many approvers")
	case len(b.Job) > 256 || len(b.Step) > 256 || len(b.Environment) > 256 || len(b.Reason) > 4096 || len(b.Shell) > 256 || len(b.WorkingDirectory) > 4096:
		return errorf(http.StatusBadRequest, "a field is too long")
	}
	if b.Shell == "" {
		b.Shell = "bash"
	}
	return validateOrigin(b)
}

func (s *Server) newRequest(id *Identity, b *gate.CreateRequest, rc runContext, key, reqID string) *gate.Request {
	now := s.now().UTC()
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

// decide fills the policy outcome of a new request: frozen, invalid policy,
// deny and allow end it at once; a remembered command is allowed; anything
// else stays pending with its requirement. The decision itself is
// gate/decide's, the same code `stepgate policy test` runs.
func (s *Server) decide(ctx context.Context, req *gate.Request, body *gate.CreateRequest) error {
	now := req.CreatedAt
	final := func(st gate.Status, rule, reason string) error {
		req.Status, req.Rule, req.FinalReason, req.DecidedAt, req.ExpiresAt = st, rule, reason, now, now
		return nil
	}
	fr, err := s.store.GetFreeze(ctx, req.Repo)
	if err != nil {
		return s.storeErr("get_freeze", err)
	}
	var pol *policy.Policy
	var polErr error
	if !fr.Frozen { // rejected either way; no policy read for it
		pol, polErr = s.loadPolicy(ctx, req.Repo)
	}
	if polErr != nil && !errors.Is(polErr, errPolicyInvalid) {
		s.logger(ctx).WarnContext(ctx, "reading policy", "repo", req.Repo, "err", polErr)
		return errorf(http.StatusServiceUnavailable, "cannot read the repository's policy from GitHub, retry later")
	}
	out, err := decide.Evaluate(pol, decide.Input{
		Command: body.Command, Shell: body.Shell, WorkingDirectory: body.WorkingDirectory,
		Environment: claimEnv(req), EnvironmentInput: body.Environment, Branch: req.Ref, Actor: req.Actor, Source: req.Source,
		Time: now, Approvers: body.Approvers,
	})
	if err != nil {
		return errorf(http.StatusBadRequest, strings.TrimPrefix(err.Error(), decide.ErrInput.Error()+": "))
	}
	req.RiskLevel, req.RiskScore, req.RiskReasons = out.Risk.Level.String(), out.Risk.Score, out.Risk.Reasons
	// What reviewers see, the audit trail records and remembered commands
	// are keyed by is exactly what was decided on (invariant 9).
	req.Command, req.Shell = out.Command, out.Shell.Name
	req.NormalizedSHA256 = gate.RememberKey(risk.Normalize(out.Command), gate.Binding{
		ShellTemplate: out.Shell.Template, WorkingDirectory: req.WorkingDirectory, Env: req.Env, Files: req.Files})
	switch {
	case fr.Frozen:
		return final(gate.StatusRejected, "freeze", freezeReason(fr))
	case polErr != nil:
		return final(gate.StatusRejected, "invalid-policy", "policy "+PolicyPath+" is invalid: "+firstLine(polErr))
	}
	if why, err := s.overVelocity(ctx, req, pol); err != nil || why != "" {
		if err != nil {
			return err
		}
		return final(gate.StatusRejected, velocityRule, why)
	}
	m := out.Match
	req.Rule, req.SelfApproval = m.Rule, m.SelfApproval
	switch out.Decision {
	case policy.Deny:
		return final(gate.StatusRejected, m.Rule, out.Reason)
	case policy.Allow:
		return final(gate.StatusAllowed, m.Rule, out.Reason)
	}
	// Only a rule that lets reviewers remember (or learns) honours
	// remembered commands: tightening the rule revokes them at once.
	if len(body.Approvers) == 0 && (m.Remember > 0 || m.Learn != nil) {
		if hit, err := s.store.LookupRemembered(ctx, req.Repo, req.RememberEnvironment(), req.NormalizedSHA256, now); err == nil {
			s.metrics.allowlistHits.Inc()
			return final(gate.StatusAllowed, m.Rule, fmt.Sprintf("remembered command (%s, by %s)", hit.Source, strings.Join(hit.By, ", ")))
		} else if !errors.Is(err, store.ErrNotFound) {
			return s.storeErr("lookup_remembered", err)
		}
	}
	return s.pendingSpec(ctx, req, body, m, out.Require)
}

// pendingSpec sets what a pending request requires, its timeout and whom
// it asks (CODEOWNERS only read when the requirement routes by path).
func (s *Server) pendingSpec(ctx context.Context, req *gate.Request, body *gate.CreateRequest, m policy.Match, require *policy.Requirement) error {
	timeout := m.Timeout
	if t := time.Duration(body.TimeoutSeconds) * time.Second; t > 0 && t < timeout {
		timeout = t
	}
	req.ExpiresAt = req.CreatedAt.Add(min(timeout, maxTimeout))
	req.RememberTTL = int64(m.Remember / time.Second)
	sp := &gate.Spec{Require: require, Learn: m.Learn}
	if paths := require.CodeownersPaths(); len(paths) > 0 {
		rs, err := s.loadCodeowners(ctx, req.Repo)
		if err != nil {
			s.logger(ctx).WarnContext(ctx, "reading CODEOWNERS", "repo", req.Repo, "err", err)
			return errorf(http.StatusServiceUnavailable, "cannot read CODEOWNERS from GitHub, retry later")
		}
		for _, p := range paths {
			sp.Owners = append(sp.Owners, ownersOf(rs, p)...)
		}
		sp.Owners = policy.DedupeFold(sp.Owners)
	}
	req.Spec = sp
	return nil
}

// afterCreate records and announces a new request.
func (s *Server) afterCreate(ctx context.Context, r *gate.Request) {
	s.metrics.requests.WithLabelValues(string(r.Status)).Inc()
	s.countAgent(r)
	s.noteAgentCreated(ctx, r) // agentsession.go
	details := map[string]string{"command": r.Command, "risk": r.RiskLevel, "rule": r.Rule,
		"environment": r.Environment, "command_sha256": r.CommandSHA256, "run_id": fmt.Sprint(r.RunID)}
	if r.Spec != nil && r.Spec.Require != nil {
		details["requirement"] = r.Spec.Require.String()
	}
	s.audit(ctx, r, gate.EventRequested, r.Actor, "", details)
	if r.Status.Final() {
		if r.PendingAudit != nil {
			s.seal(ctx, r)
		} else {
			s.auditFinal(ctx, r, "")
		}
		return
	}
	// The check run and comment were opened before the write (see
	// createAnnounced); if that failed, a repeated create retries.
	s.metrics.pending.Inc()
}

// claimEnv is the token's environment claim of req ("" when the job
// declares none; then the body's input can only tighten, see decide).
func claimEnv(r *gate.Request) string {
	if r.EnvironmentSource == "token" {
		return r.Environment
	}
	return ""
}

func firstLine(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, errPolicyInvalid.Error()+": ")
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	// ".github/stepgate.yml:4: rules[0].then: …" reads "line 4: …" here.
	if rest, ok := strings.CutPrefix(msg, PolicyPath+":"); ok {
		msg = "line " + rest
	}
	return msg
}

func freezeReason(f gate.Freeze) string {
	msg := "repository is frozen"
	if f.By != "" {
		msg += " by " + f.By
	}
	if f.Reason != "" {
		msg += ": " + f.Reason
	}
	return msg
}

// recentIDs remembers the ids of requests this replica created lately
// (bounded, oldest forgotten first).
type recentIDs struct {
	mu   sync.Mutex
	set  map[string]bool
	ring []string
	next int
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{set: make(map[string]bool, n), ring: make([]string, n)}
}

func (r *recentIDs) add(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set[id] {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = id
	r.set[id] = true
	r.next = (r.next + 1) % len(r.ring)
}

func (r *recentIDs) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set[id]
}
