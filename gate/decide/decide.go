// Package decide is the one code path that decides a gated command: the App
// calls it when a request is created and `stepgate policy test` calls it
// with the same inputs, so the two cannot disagree (DESIGN.md invariant 9).
//
// It sees the command as it will run — secrets replaced inside literal words
// only, the syntax unchanged (gate/redact) — and the shell template that
// runs it. It assesses risk on both, evaluates the policy, refuses custom
// shell templates the policy does not list, and tightens the outcome with
// the action's extra approvers. It is pure: no GitHub, no store, no HTTP.
package decide

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"mvdan.cc/sh/v3/syntax"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
	"github.com/stepgate/stepgate/gate/redact"
	"github.com/stepgate/stepgate/gate/risk"
)

// Input is everything a decision depends on. Who and where (Environment,
// Branch, Actor) come from the verified OIDC token, never from the client.
type Input struct {
	// Command is the command as it will run. Secrets in it are redacted
	// here (structure-preserving), so callers may pass it as written.
	Command          string
	Shell            string // the shell input: a known name or a custom template
	WorkingDirectory string

	// Environment is the token's environment claim (the job's
	// `environment:`); EnvironmentInput is the action's environment input,
	// which may only tighten when the claim is empty.
	Environment      string
	EnvironmentInput string

	Branch string
	Actor  string
	Source string // "step" (action, stepgate run) or "agent" (stepgate hook)
	Time   time.Time

	// Approvers are the action's extra requirements; they only tighten.
	Approvers []string

	// Risk, when set, replaces the assessment (policy test --risk).
	Risk *risk.Level
}

// Outcome is what the policy says about an Input.
type Outcome struct {
	// Command is what was decided on and what reviewers see: the command
	// with secrets redacted inside literal words.
	Command string
	Shell   gate.Shell
	// Environment is the environment the decision applied (the claim, or
	// the input where it applied).
	Environment string
	Risk        risk.Assessment
	// Match is the policy's rule outcome; Decision and Require below are
	// final (after custom-shell refusal and tightening with Approvers).
	Match    policy.Match
	Decision policy.Decision
	Require  *policy.Requirement // nil unless Decision == Require
	Reason   string              // why it was allowed or denied
}

// ErrInput marks an input the App refuses outright (400), as opposed to a
// command the policy denies.
var ErrInput = errors.New("invalid request")

// Evaluate decides in. A nil policy acts as policy.Default().
func Evaluate(p *policy.Policy, in Input) (Outcome, error) {
	sh, err := gate.ResolveShell(in.Shell)
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %v", ErrInput, err)
	}
	cmd, err := Redact(in.Command, sh, nil)
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %v", ErrInput, err)
	}
	out := Outcome{Command: cmd, Shell: sh}
	out.Risk = assess(cmd, sh)
	if in.Risk != nil {
		out.Risk.Level = *in.Risk
	}
	if in.Time.IsZero() {
		in.Time = time.Now()
	}
	out.Environment, out.Match = evaluateEnvironments(p, in, cmd, sh, out.Risk.Level)
	out.Decision, out.Require = out.Match.Decision, out.Match.Require
	if sh.Custom && !customShellAllowed(p, sh.Template) {
		out.Decision, out.Require = policy.Deny, nil
		out.Reason = fmt.Sprintf("custom shell template %q is not listed in the policy's defaults.custom_shells", sh.Template)
		return out, nil
	}
	switch out.Decision {
	case policy.Deny:
		out.Require, out.Reason = nil, "denied by rule "+out.Match.Rule
		return out, nil
	case policy.Allow:
		out.Require = nil
	}
	require, err := policy.Tighten(out.Require, in.Approvers)
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: approvers: %v", ErrInput, err)
	}
	out.Require = require
	if require == nil {
		out.Decision, out.Reason = policy.Allow, "allowed by rule "+out.Match.Rule
		return out, nil
	}
	out.Decision = policy.Require
	return out, nil
}

// Redact masks secrets (known formats, and the runner's secret values)
// without changing what the command does: for shell code, only inside
// literal words, with the syntax tree unchanged (redact.Command refuses
// otherwise); for other code, whole whitespace-free tokens only. The runner
// redacts before sending and the App again on receipt; redacting is
// idempotent, so both see the same text.
func Redact(cmd string, sh gate.Shell, secrets []string) (string, error) {
	if sh.Name != "bash" && sh.Name != "sh" {
		return redactText(cmd, secrets)
	}
	if _, err := syntax.NewParser().Parse(strings.NewReader(cmd), ""); err != nil {
		// Not shell code the tree can be kept for: rated high (unparseable)
		// and masked token by token, so still nothing hides under the mask.
		return redactText(cmd, secrets)
	}
	return redact.Command(cmd, secrets)
}

// assess rates the command and, for a custom template, the template too:
// the template runs first and can do anything the command could.
func assess(cmd string, sh gate.Shell) risk.Assessment {
	a := risk.Assess(cmd)
	if !sh.Custom {
		return a
	}
	t := risk.Assess(sh.TemplateCommand())
	if t.Level > a.Level || (t.Level == a.Level && t.Score > a.Score) {
		a.Level, a.Score = t.Level, t.Score
	}
	for _, r := range t.Reasons {
		a.Reasons = append(a.Reasons, "shell template: "+r)
	}
	a.Categories = append(a.Categories, t.Categories...)
	return a
}

// evaluateEnvironments applies the policy for the environment the request
// runs in (DESIGN.md invariant 10). The token's claim is GitHub's word and
// decides alone (the App refuses an input that differs from it). Without a
// claim the input is the workflow's unverified word: the policy is
// evaluated with and without it and the stricter outcome applies, so the
// input can only tighten (a job cannot write `environment: dev` to reach
// dev's allow).
func evaluateEnvironments(p *policy.Policy, in Input, cmd string, sh gate.Shell, level risk.Level) (string, policy.Match) {
	if in.Environment != "" || in.EnvironmentInput == "" {
		return in.Environment, evaluate(p, in, in.Environment, cmd, sh, level)
	}
	with := evaluate(p, in, in.EnvironmentInput, cmd, sh, level)
	without := evaluate(p, in, "", cmd, sh, level)
	return in.EnvironmentInput, policy.Stricter(with, without)
}

func evaluate(p *policy.Policy, in Input, env, cmd string, sh gate.Shell, level risk.Level) policy.Match {
	f := policy.Facts{Command: cmd, Environment: env, Branch: in.Branch, Actor: in.Actor, Source: in.Source, Risk: level, Time: in.Time}
	m := p.Evaluate(f)
	if !sh.Custom {
		return m
	}
	// The template is a command of its own: it must pass the policy too.
	f.Command = sh.TemplateCommand()
	return stricter(m, p.Evaluate(f))
}

// customShellAllowed: a custom template must be listed exactly in the
// policy's defaults.custom_shells.
func customShellAllowed(p *policy.Policy, template string) bool {
	return p.ShellAllowed(template) == nil
}

// stricter combines two outcomes: deny > require > allow, and two
// requirements must both be met.
func stricter(a, b policy.Match) policy.Match {
	rank := map[policy.Decision]int{policy.Allow: 0, policy.Require: 1, policy.Deny: 2}
	switch {
	case rank[b.Decision] > rank[a.Decision]:
		return b
	case rank[a.Decision] > rank[b.Decision] || a.Decision != policy.Require:
		return a
	}
	out := a
	if b.Require != nil && (a.Require == nil || a.Require.String() != b.Require.String()) {
		out.Require = &policy.Requirement{AllOf: []*policy.Requirement{a.Require, b.Require}}
	}
	out.Remember, out.Learn = min(a.Remember, b.Remember), nil
	out.SelfApproval = a.SelfApproval && b.SelfApproval
	out.Timeout = min(a.Timeout, b.Timeout)
	return out
}

// redactText is for code that is not POSIX shell (python, pwsh, custom
// templates, unparseable text). Each whitespace-free token is redacted on
// its own; what a mask replaces may hold no whitespace and no code
// punctuation, so no code can hide under it. Where it would, the command
// is refused rather than sent masked.
func redactText(s string, secrets []string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		tok := s[i:j]
		r := redact.String(tok, secrets...)
		if r != tok {
			p := commonPrefix(tok, r)
			q := commonSuffix(tok[p:], r[p:])
			if strings.ContainsAny(tok[p:len(tok)-q], ";|&()<>`$'\"{}[]") {
				return "", errors.New("cannot redact the command without hiding part of its code: a secret-looking value is joined to code; move the secret into an environment variable")
			}
		}
		b.WriteString(r)
		for j < len(s) && isSpace(s[j]) {
			b.WriteByte(s[j])
			j++
		}
		i = j
	}
	return b.String(), nil
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
