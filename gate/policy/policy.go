package policy

import (
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate/risk"
	"github.com/stepgate/stepgate/gate/shellcmd"
)

// DefaultTimeout is how long a request waits when neither the rule nor the
// defaults say otherwise.
const DefaultTimeout = 30 * time.Minute

// DefaultMaxRisk is the highest risk an allow rule allows unless its
// max_risk says otherwise.
const DefaultMaxRisk = risk.LevelMedium

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

// Sources of a request (the `source` key of `if`).
const (
	SourceStep  = "step"  // the action and `stepgate run`
	SourceAgent = "agent" // `stepgate hook`: a command an AI agent runs
)

// Facts are everything Evaluate looks at, already extracted from GitHub.
type Facts struct {
	Command string // the command as it will run; parsed here
	// Shell is the step's shell: "" or a built-in name (bash, sh, pwsh,
	// python, cmd, powershell), or a custom template with {0} for the
	// script's path ("perl {0}"). A custom template must be listed in
	// defaults.custom_shells; its commands are part of the tree.
	Shell       string
	Environment string
	Branch      string // "main" or "refs/heads/main"
	Actor       string // the run's actor (github.actor)
	Source      string // SourceStep or SourceAgent; "" is step
	Risk        risk.Level
	Time        time.Time // when the request was made; zero means now
	// Explain fills Match.Notes with the rules that were passed over and
	// why (for `stepgate policy test`); it costs time, so the App leaves it off.
	Explain bool
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
	// CustomShells are the custom shell templates (with {0}) steps may use,
	// exactly as listed in defaults.custom_shells; see ShellAllowed.
	CustomShells []string
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
	// MaxRisk caps what an allow rule allows: a riskier command falls
	// through to the next rule. nil means DefaultMaxRisk.
	MaxRisk *risk.Level

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
	// Command is the command of the tree that decided (canonical argv), for
	// rules with a command key: the one a deny or require pattern matched.
	Command string
	// Pattern is the pattern it matched.
	Pattern string
	// Reason says in one sentence why this rule applies.
	Reason string
	// Notes list, with Facts.Explain, the rules passed over and why.
	Notes []string
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

// Evaluate decides f. A matching deny rule wins wherever it stands;
// otherwise rules are tried in order and the first match wins; with no
// match the default requirement applies under the rule name "default".
// Command patterns are matched on the command's syntax tree (see
// [CanonicalCommand] and the package documentation): allow rules need
// every command of the tree to match, deny and require rules any. An
// allow rule applies only up to its max_risk. A custom shell template not
// listed in defaults.custom_shells is denied. A nil *Policy acts as
// Default(). Evaluate is safe for concurrent use.
func (p *Policy) Evaluate(f Facts) Match {
	if p == nil {
		p = Default()
	}
	if err := p.ShellAllowed(f.Shell); err != nil {
		return Match{Rule: "defaults.custom_shells", Decision: Deny, Timeout: p.timeout(nil), Reason: err.Error()}
	}
	in := newInput(f)
	var buf [32]uint64 // 1,024 rules without allocating
	c := candidates{rules: p.Rules}
	if p.index != nil && p.index.n == len(p.Rules) {
		c.bits = p.index.candidates(&in, buf[:0])
	}
	// Deny wins wherever it stands.
	if r := c.first(func(r *Rule) bool { return r.Then == Deny && r.cond.matches(&in, modeDeny) }); r != nil {
		return p.decided(r, &in)
	}
	if r := c.first(func(r *Rule) bool { return decidesInOrder(r, &in) }); r != nil {
		return p.decided(r, &in)
	}
	m := p.match(&Rule{Name: DefaultRuleName, Then: Require, Require: defaultRequirement()})
	m.Reason, m.Notes = "no rule matched", in.notes
	return m
}

// candidates are the rules that may match, in order: those the index
// marks in bits, or every rule when bits is nil.
type candidates struct {
	rules []*Rule
	bits  []uint64
}

// first returns the first candidate for which fn is true, or nil.
func (c candidates) first(fn func(r *Rule) bool) *Rule {
	if c.bits == nil {
		for _, r := range c.rules {
			if fn(r) {
				return r
			}
		}
		return nil
	}
	for wi, word := range c.bits {
		for word != 0 {
			i := wi*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if fn(c.rules[i]) {
				return c.rules[i]
			}
		}
	}
	return nil
}

// decidesInOrder reports whether the allow or require rule r decides the
// input once no deny rule has; an allow rule that does not is noted, so
// the answer can say why it did not apply.
func decidesInOrder(r *Rule, in *input) bool {
	switch r.Then {
	case Deny:
		return false
	case Allow:
		if !r.cond.matches(in, modeAllow) {
			in.note(r, "allow: "+in.why)
			return false
		}
		if max := r.maxRisk(); in.risk > max {
			in.note(r, fmt.Sprintf("allow: the command's risk %s is above its max_risk %s", in.risk, max))
			return false
		}
		return true
	}
	return r.cond.matches(in, modeRequire)
}

func (r *Rule) maxRisk() risk.Level {
	if r.MaxRisk != nil {
		return *r.MaxRisk
	}
	return DefaultMaxRisk
}

// decided builds the Match for r with what the matcher found.
func (p *Policy) decided(r *Rule, in *input) Match {
	m := p.match(r)
	m.Notes = in.notes
	if r.cond.command == nil {
		m.Reason = "its conditions hold (it has no command patterns)"
		return m
	}
	m.Command, m.Pattern = in.hitCommand, in.hitPattern
	switch r.Then {
	case Deny:
		m.Reason = fmt.Sprintf("`%s` matches the deny pattern `%s`", m.Command, m.Pattern)
		if in.hitDynamic {
			m.Reason += " (a word decided at run time may be anything there)"
		}
	case Allow:
		m.Reason = fmt.Sprintf("every command of the tree (%d) matches one of its patterns", in.leafCount())
	default:
		m.Reason = fmt.Sprintf("`%s` matches the pattern `%s`", m.Command, m.Pattern)
	}
	return m
}

func (p *Policy) timeout(r *Rule) time.Duration {
	if r != nil && r.Timeout != 0 {
		return r.Timeout
	}
	if p.Defaults.Timeout != 0 {
		return p.Defaults.Timeout
	}
	return DefaultTimeout
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

// input is Facts prepared once per Evaluate; the command's tree is built
// on first use.
type input struct {
	f      *Facts
	env    string
	branch string
	actor  string
	source string
	risk   risk.Level
	time   time.Time

	built bool
	tree  *shellcmd.Tree
	views []cmdView
	// first bytes of the tree's command names (any: a dynamic name)
	firsts   [4]uint64
	anyFirst bool

	// What the last command match found, for Match and notes.
	hitCommand, hitPattern string
	hitDynamic             bool
	why                    string
	notes                  []string
	explain                bool
}

func newInput(f Facts) input {
	in := input{
		f:       &f,
		env:     strings.ToLower(strings.TrimSpace(f.Environment)),
		branch:  strings.TrimPrefix(strings.TrimSpace(f.Branch), "refs/heads/"),
		actor:   strings.ToLower(strings.TrimSpace(f.Actor)),
		source:  strings.ToLower(strings.TrimSpace(f.Source)),
		risk:    f.Risk,
		time:    f.Time,
		explain: f.Explain,
	}
	if in.source == "" {
		in.source = SourceStep
	}
	if in.time.IsZero() {
		in.time = time.Now()
	}
	return in
}

func (in *input) note(r *Rule, s string) {
	if in.explain {
		in.notes = append(in.notes, fmt.Sprintf("rule %q (line %d) passed over: %s", r.Name, r.Line, s))
	}
}
