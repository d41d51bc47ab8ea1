package policy

import (
	"strings"
	"time"
)

// DeploymentFacts are what a job-level gate is decided on: a job of a
// workflow run wants to deploy to a protected environment (GitHub's
// deployment_protection_rule webhook). The App takes them from GitHub (the
// signed webhook and the workflow run), never from the workflow.
type DeploymentFacts struct {
	Environment string
	Branch      string // the run's branch ("main" or "refs/heads/main"); refs/pull/N/merge for pull requests
	Actor       string // the run's actor
	Time        time.Time
	// WorkflowChanged reports that the run's workflow file (or a reusable
	// workflow of the same repository it calls) differs from the default
	// branch's copy.
	WorkflowChanged bool
}

// DeploymentRule is one entry of the policy's top-level `deployments:` list.
// It has the shape of a command rule; its `if` keys are environment,
// branch, actor, outside_hours and workflow_changed.
type DeploymentRule struct {
	Name         string
	Line         int
	Then         Decision
	Require      *Requirement // set iff Then == Require
	Remember     time.Duration
	Timeout      time.Duration
	SelfApproval *bool

	cond deployCond
}

// deployCond is a deployment rule's compiled `if`; nil means absent.
type deployCond struct {
	environment     []*glob
	branch          []*glob
	actor           []*glob
	outsideHours    []*window
	workflowChanged *bool
}

func (c *deployCond) always() bool {
	return c.environment == nil && c.branch == nil && c.actor == nil && c.outsideHours == nil && c.workflowChanged == nil
}

// deployInput is DeploymentFacts prepared for matching.
type deployInput struct {
	env, branch, actor string
	time               time.Time
	changed            bool
}

func (c *deployCond) matches(in *deployInput) bool {
	if c.workflowChanged != nil && *c.workflowChanged != in.changed {
		return false
	}
	if c.environment != nil && !anyGlob(c.environment, in.env, nil) {
		return false
	}
	if c.actor != nil && !anyGlob(c.actor, in.actor, nil) {
		return false
	}
	if c.branch != nil && !anyGlob(c.branch, in.branch, nil) {
		return false
	}
	for _, w := range c.outsideHours {
		if w.contains(in.time) {
			return false
		}
	}
	return true
}

// EvaluateDeployment returns what the deployment rules say about f: a
// matching `deny` rule wins wherever it stands; otherwise the first
// matching rule applies. With no match (or no `deployments:` list) the
// default requirement applies under the rule name "default", as for a
// repository without a policy: the App is only asked about environments
// where someone enabled it, so it never lets a deployment through unasked.
// A nil *Policy acts as Default().
func (p *Policy) EvaluateDeployment(f DeploymentFacts) Match {
	if p == nil {
		p = Default()
	}
	in := deployInput{
		env:     strings.ToLower(strings.TrimSpace(f.Environment)),
		branch:  strings.TrimPrefix(strings.TrimSpace(f.Branch), "refs/heads/"),
		actor:   strings.ToLower(strings.TrimSpace(f.Actor)),
		time:    f.Time,
		changed: f.WorkflowChanged,
	}
	if in.time.IsZero() {
		in.time = time.Now()
	}
	var first *DeploymentRule
	for _, r := range p.Deployments {
		if !r.cond.matches(&in) {
			continue
		}
		if r.Then == Deny {
			return p.deploymentMatch(r)
		}
		if first == nil {
			first = r
		}
	}
	if first != nil {
		return p.deploymentMatch(first)
	}
	return p.deploymentMatch(&DeploymentRule{Name: DefaultRuleName, Then: Require, Require: defaultRequirement()})
}

// UsesWorkflowChanged reports whether any deployment rule asks whether the
// run's workflow file differs from the default branch's.
func (p *Policy) UsesWorkflowChanged() bool {
	if p == nil {
		return false
	}
	for _, r := range p.Deployments {
		if r.cond.workflowChanged != nil {
			return true
		}
	}
	return false
}

func (p *Policy) deploymentMatch(r *DeploymentRule) Match {
	m := Match{Rule: r.Name, Decision: r.Then, SelfApproval: p.Defaults.SelfApproval, Timeout: r.Timeout}
	if m.Timeout == 0 {
		m.Timeout = p.Defaults.Timeout
	}
	if m.Timeout == 0 {
		m.Timeout = DefaultTimeout
	}
	if r.SelfApproval != nil {
		m.SelfApproval = *r.SelfApproval
	}
	if r.Then == Allow || r.Then == Deny {
		return m
	}
	// Fail closed on hand-built rules, as for command rules.
	m.Decision, m.Require, m.Remember = Require, r.Require, r.Remember
	if m.Require == nil {
		m.Require = defaultRequirement()
	}
	return m
}
