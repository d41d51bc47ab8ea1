package policy

import (
	"math/bits"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate/risk"
)

// DefaultTimeout is how long a request waits when neither the rule nor the
// defaults say otherwise.
const DefaultTimeout = 30 * time.Minute

// DefaultRuleName names the rule that applies when nothing else matches.
const DefaultRuleName = "default"

// Decision is what a matching rule says about a command.
type Decision string

// Decisions.
const (
	Allow   Decision = "allow"
	Deny    Decision = "deny"
	Require Decision = "require"
)

// Facts are everything Evaluate looks at, already extracted from GitHub.
type Facts struct {
	Command     string // the command as the user wrote it; normalised here
	Environment string
	Branch      string // "main" or "refs/heads/main"
	Actor       string // the run's actor (github.actor)
	Risk        risk.Level
	Time        time.Time // when the request was made; zero means now
}

// Learn lets the App remember, on its own, a command that eligible reviewers
// approved After times without a rejection and whose risk is at most MaxRisk.
type Learn struct {
	After   int           `json:"after"`
	MaxRisk risk.Level    `json:"max_risk"`
	TTL     time.Duration `json:"ttl"`
}

// Defaults apply to every rule that does not override them.
type Defaults struct {
	Timeout      time.Duration
	SelfApproval bool
	Learn        *Learn
	Agent        *AgentDefaults // defaults.agent; nil: no agent limits
}

// Rule is one entry of the policy's rules list.
type Rule struct {
	Name         string
	Line         int // where the rule starts in the file, for messages
	Then         Decision
	Require      *Requirement // set iff Then == Require
	Remember     time.Duration
	Learn        *Learn // nil: the defaults' learn applies unless NoLearn
	NoLearn      bool   // `learn: false`: never learn under this rule
	Timeout      time.Duration
	SelfApproval *bool

	cond condition
}

// Policy is a parsed .github/stepgate.yml.
type Policy struct {
	Version  int
	Defaults Defaults
	Rules    []*Rule
	// Deployments are the job-level gates (top-level `deployments:`), see
	// EvaluateDeployment.
	Deployments []*DeploymentRule

	index *ruleIndex // built by Parse and Default
}

// compile builds the rule index; Evaluate ignores it if Rules was changed
// afterwards.
func (p *Policy) compile() *Policy {
	filters := make([]prefilter, len(p.Rules))
	for i, r := range p.Rules {
		filters[i] = r.cond.prefilter()
	}
	p.index = newRuleIndex(filters)
	return p
}

// Match is the outcome of Evaluate: the rule that applied and what follows.
type Match struct {
	Rule         string
	Decision     Decision
	Require      *Requirement  // nil unless Decision == Require
	Remember     time.Duration // 0: reviewers may not approve-and-remember
	Learn        *Learn        // nil: no automatic learning (always nil unless Decision == Require)
	Timeout      time.Duration
	SelfApproval bool
}

// defaultRequirement is what applies without a policy file or a matching
// rule: one approval from someone with write (the run's actor never counts
// unless self-approval is on, which Check enforces).
func defaultRequirement() *Requirement {
	return &Requirement{Role: PermWrite, Count: 1}
}

// Default is the policy used when a repository has no policy file.
func Default() *Policy {
	p := &Policy{
		Version:  1,
		Defaults: Defaults{Timeout: DefaultTimeout},
		Rules: []*Rule{{
			Name:    DefaultRuleName,
			Then:    Require,
			Require: defaultRequirement(),
		}},
	}
	return p.compile()
}

// Evaluate returns what the first rule matching f says. With no match the
// default requirement applies under the rule name "default". The command is
// normalised once here, so callers pass it as written. A nil *Policy acts
// as Default(). Evaluate is safe for concurrent use.
func (p *Policy) Evaluate(f Facts) Match {
	if p == nil {
		p = Default()
	}
	in := newInput(f)
	if p.index != nil && p.index.n == len(p.Rules) {
		var buf [16]uint64 // 1,024 rules without allocating
		for wi, word := range p.index.candidates(&in, buf[:0]) {
			for word != 0 {
				i := wi*64 + bits.TrailingZeros64(word)
				word &= word - 1
				if p.Rules[i].cond.matches(&in) {
					return p.match(p.Rules[i])
				}
			}
		}
	} else {
		for _, r := range p.Rules {
			if r.cond.matches(&in) {
				return p.match(r)
			}
		}
	}
	return p.match(&Rule{Name: DefaultRuleName, Then: Require, Require: defaultRequirement()})
}

func (p *Policy) match(r *Rule) Match {
	m := Match{Rule: r.Name, Decision: r.Then, SelfApproval: p.Defaults.SelfApproval}
	m.Timeout = r.Timeout
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
	// Fail closed on hand-built rules: no decision or no requirement means
	// the default requirement, never "nothing required".
	m.Decision, m.Require = Require, r.Require
	if m.Require == nil {
		m.Require = defaultRequirement()
	}
	m.Remember = r.Remember
	switch {
	case r.NoLearn:
	case r.Learn != nil:
		m.Learn = r.Learn
	default:
		m.Learn = p.Defaults.Learn
	}
	return m
}

// input is Facts prepared once per Evaluate: normalised, lower-cased where
// matching ignores case, with the command's operator positions marked.
type input struct {
	command  string
	barriers []bool
	env      string
	branch   string
	actor    string
	risk     risk.Level
	time     time.Time
}

func newInput(f Facts) input {
	in := input{
		env:    strings.ToLower(strings.TrimSpace(f.Environment)),
		branch: strings.TrimPrefix(strings.TrimSpace(f.Branch), "refs/heads/"),
		actor:  strings.ToLower(strings.TrimSpace(f.Actor)),
		risk:   f.Risk,
		time:   f.Time,
	}
	if in.time.IsZero() {
		in.time = time.Now()
	}
	var valid bool
	in.command, valid = normalize(f.Command)
	in.barriers = barriers(in.command, valid)
	return in
}
