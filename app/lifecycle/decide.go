package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/decide"
	"github.com/stepgate/stepgate/gate/policy"
	"github.com/stepgate/stepgate/gate/risk"
)

// Deciding a new request: what the policy on the default branch says about
// exactly the command that will run, in the run's context.

// decide fills the policy outcome of a new request: frozen, invalid policy,
// deny and allow end it at once; a remembered command is allowed; anything
// else stays pending with its requirement. The decision itself is
// gate/decide's, the same code `stepgate policy test` runs.
func (l *Lifecycle) decide(ctx context.Context, req *gate.Request, body *gate.CreateRequest) error {
	now := req.CreatedAt
	final := func(st gate.Status, rule, reason string) error { return decided(req, st, rule, reason) }
	fr, pol, polErr, err := l.rules(ctx, req.Repo)
	if err != nil {
		return err
	}
	out, err := decide.Evaluate(pol, decide.Input{
		Command: body.Command, Shell: body.Shell, WorkingDirectory: body.WorkingDirectory,
		Environment: claimEnv(req), EnvironmentInput: body.Environment, Branch: req.Ref, Actor: req.Actor, Source: req.Source,
		Time: now, Approvers: body.Approvers,
	})
	if err != nil {
		return errorf(Invalid, strings.TrimPrefix(err.Error(), decide.ErrInput.Error()+": "))
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
	if why, err := l.overVelocity(ctx, req, pol); err != nil || why != "" {
		if err != nil {
			return err
		}
		return final(gate.StatusRejected, VelocityRule, why)
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
		if why, err := l.remembered(ctx, req, req.RememberEnvironment(), "command"); err != nil || why != "" {
			if err != nil {
				return err
			}
			return final(gate.StatusAllowed, m.Rule, why)
		}
	}
	return l.pendingSpec(ctx, req, body, m, out.Require)
}

// rules reads what decides a repository's requests: its freeze flag and,
// unless frozen (rejected either way, so no policy read for it), its
// policy. A policy that does not parse is polErr (the request is rejected
// with the parse error); one GitHub cannot give now is err (Unavailable).
func (l *Lifecycle) rules(ctx context.Context, repo string) (fr gate.Freeze, pol *policy.Policy, polErr, err error) {
	fr, err = l.store.GetFreeze(ctx, repo)
	if err != nil {
		return fr, nil, nil, l.storeErr("get_freeze", err)
	}
	if fr.Frozen {
		return fr, nil, nil, nil
	}
	pol, polErr = l.read.loadPolicy(ctx, repo)
	if polErr != nil && !errors.Is(polErr, errPolicyInvalid) {
		l.logger(ctx).WarnContext(ctx, "reading policy", "repo", repo, "err", polErr)
		return fr, nil, nil, errorf(Unavailable, "cannot read the repository's policy from GitHub, retry later")
	}
	return fr, pol, polErr, nil
}

// decided ends a new request at once (DecidedAt = CreatedAt).
func decided(req *gate.Request, st gate.Status, rule, reason string) error {
	req.Status, req.Rule, req.FinalReason = st, rule, reason
	req.DecidedAt, req.ExpiresAt = req.CreatedAt, req.CreatedAt
	return nil
}

// remembered says why req is allowed when reviewers chose to remember its
// command or deployment (what) for env (or `learn` did), or "" when it is
// not remembered.
func (l *Lifecycle) remembered(ctx context.Context, req *gate.Request, env, what string) (string, error) {
	hit, err := l.store.LookupRemembered(ctx, req.Repo, env, req.NormalizedSHA256, req.CreatedAt)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", l.storeErr("lookup_remembered", err)
	}
	l.metrics.allowlistHits.Inc()
	return fmt.Sprintf("remembered %s (%s, by %s)", what, hit.Source, strings.Join(hit.By, ", ")), nil
}

// pendingSpec sets what a pending request requires, its timeout and whom
// it asks (CODEOWNERS only read when the requirement routes by path).
func (l *Lifecycle) pendingSpec(ctx context.Context, req *gate.Request, body *gate.CreateRequest, m policy.Match, require *policy.Requirement) error {
	timeout := m.Timeout
	if t := time.Duration(body.TimeoutSeconds) * time.Second; t > 0 && t < timeout {
		timeout = t
	}
	req.ExpiresAt = req.CreatedAt.Add(min(timeout, maxTimeout))
	req.RememberTTL = int64(m.Remember / time.Second)
	sp := &gate.Spec{Require: require, Learn: m.Learn}
	owners, err := l.owners(ctx, req.Repo, require)
	if err != nil {
		l.logger(ctx).WarnContext(ctx, "reading CODEOWNERS", "repo", req.Repo, "err", err)
		return errorf(Unavailable, "cannot read CODEOWNERS from GitHub, retry later")
	}
	sp.Owners = owners
	req.Spec = sp
	return nil
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

// owners are the CODEOWNERS owners of the paths require routes by (none
// read when it routes by no path).
func (l *Lifecycle) owners(ctx context.Context, repo string, require *policy.Requirement) ([]string, error) {
	paths := require.CodeownersPaths()
	if len(paths) == 0 {
		return nil, nil
	}
	rs, err := l.read.loadCodeowners(ctx, repo)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range paths {
		out = append(out, ownersOf(rs, p)...)
	}
	return policy.DedupeFold(out), nil
}
