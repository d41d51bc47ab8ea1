package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate/decide"
	"github.com/stepgate/stepgate/gate/policy"
	"github.com/stepgate/stepgate/gate/risk"
)

const policyUsage = `Usage:
  stepgate policy check FILE...
      Validate policy files (.github/stepgate.yml). Prints "FILE: ok (N rules)"
      or every problem with its line and field; exits 1 if any file is invalid.
      A valid file may also get warnings (line, field): an allow pattern that
      lets a destructive command through, a rule earlier rules leave nothing
      to match, a pattern whose meaning changed with syntax-tree matching.

  stepgate policy test FILE --command C [--org-policy ORGFILE] [flags]
      Show which rule matches a request and what it requires. With
      --org-policy (the .github/stepgate.yml of the owner's .github
      repository), a FILE that does not exist falls back to ORGFILE, and then
      to the built-in default, as the App does; the output names the file
      that decided.

  stepgate policy test FILE --deployment --environment E [--branch B --actor A --workflow-changed] [--json]
      Show which deployments: rule matches a job deploying to environment E
      (a job-level gate: the App as a custom deployment protection rule).
`

// runPolicy implements `stepgate policy`. assess computes a command's risk
// level when --risk is not given (main wires in risk.Assess); nil means none.
func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer, assess func(string) risk.Level) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, policyUsage)
		return 2
	}
	switch args[0] {
	case "check":
		return policyCheck(args[1:], stdout, stderr)
	case "test":
		return policyTest(args[1:], stdout, stderr, assess)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, policyUsage)
		return 0
	}
	fmt.Fprintf(stderr, "stepgate policy: unknown subcommand %q\n\n%s", args[0], policyUsage)
	return 2
}

func policyCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stepgate policy check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), policyUsage) }
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "stepgate policy check: name at least one policy file\n\n%s", policyUsage)
		return 2
	}
	code := 0
	for _, file := range fs.Args() {
		p, err := loadPolicy(file)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = 1
			continue
		}
		if len(p.Deployments) > 0 {
			fmt.Fprintf(stdout, "%s: ok (%d rules, %d deployment rules)\n", file, len(p.Rules), len(p.Deployments))
		} else {
			fmt.Fprintf(stdout, "%s: ok (%d rules)\n", file, len(p.Rules))
		}
		// Warnings: unsafe or dead rules, and meanings that changed with
		// tree matching. The file is valid; they do not change the exit code.
		if warns := p.Lint(); len(warns) > 0 {
			fmt.Fprintln(stdout, (&policy.ParseError{Filename: file, Errors: warns}).Error())
		}
	}
	return code
}

// loadPolicy reads and parses a policy file, refusing to read more than
// the parser would accept.
func loadPolicy(file string) (*policy.Policy, error) {
	f, err := os.Open(file)
	if err != nil {
		if u := errors.Unwrap(err); u != nil {
			err = u // the *PathError would repeat the file name
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, policy.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading: %w", file, err)
	}
	if len(data) > policy.MaxFileSize {
		return nil, fmt.Errorf("%s: larger than the %d-byte limit for policy files", file, policy.MaxFileSize)
	}
	return policy.Parse(file, data)
}

type policyTestFlags struct {
	command, environment, actor, branch, risk, time string
	environmentInput                                string
	shell, workingDirectory                         string
	orgPolicy                                       string
	source                                          string
	json                                            bool
	deployment, workflowChanged                     bool // job-level gates (policy_deploy.go)
}

func (f *policyTestFlags) register(fs *flag.FlagSet) {
	// Backquoted words name the flag's value in -h output.
	fs.StringVar(&f.command, "command", "", "the `COMMAND` to gate, as written in the workflow step (required)")
	fs.StringVar(&f.environment, "environment", "", "the job's `ENVIRONMENT` (its environment:, the token's environment claim), e.g. production (matched by if: environment)")
	fs.StringVar(&f.environmentInput, "environment-input", "", "the action's environment `INPUT` on a job that declares no environment: it can only tighten (the stricter of the outcomes with and without it applies, as in the App)")
	fs.StringVar(&f.actor, "actor", "", "the run's `ACTOR`, github.actor (matched by if: actor)")
	fs.StringVar(&f.branch, "branch", "", "the run's `BRANCH`, main or refs/heads/main (matched by if: branch)")
	fs.StringVar(&f.risk, "risk", "", "risk `LEVEL`: none, low, medium, high or critical (default: assessed from --command)")
	fs.StringVar(&f.time, "time", "", "request `TIME` in RFC 3339, e.g. 2026-03-30T02:00:00+02:00, for if: outside_hours (default: now)")
	fs.StringVar(&f.shell, "shell", "", "the action's `SHELL` input: bash (default), sh, python, pwsh, or a custom template such as \"perl {0}\" (allowed only if the policy lists it in defaults.custom_shells)")
	fs.StringVar(&f.workingDirectory, "working-directory", "", "the action's working-directory `DIR` input")
	fs.StringVar(&f.orgPolicy, "org-policy", "", "the owner's org-wide policy `ORGFILE` (.github/stepgate.yml of the owner's .github repository): used when FILE does not exist, as the App does")
	fs.StringVar(&f.source, "source", "step", "where the request comes from: `step` (the action, stepgate run) or agent (stepgate hook) (matched by if: source)")
	fs.BoolVar(&f.json, "json", false, `print {"rule","decision","require",...} as JSON instead of text`)
	f.registerDeployment(fs)
}

// parseInterspersed lets FILE come before or after the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func policyTest(args []string, stdout, stderr io.Writer, assess func(string) risk.Level) int {
	fs := flag.NewFlagSet("stepgate policy test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var fl policyTestFlags
	fl.register(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: stepgate policy test FILE --command C [--org-policy ORGFILE] [--environment E | --environment-input E] [--actor A --branch B --risk LEVEL --time RFC3339] [--json]\n       stepgate policy test FILE --deployment --environment E [--branch B --actor A --time RFC3339 --workflow-changed] [--json]\n\nShow which rule of FILE matches the request and what it requires.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if fl.deployment || fl.workflowChanged {
		return deploymentTest(pos, &fl, stdout, stderr, fs.Usage)
	}
	facts, riskSource, err := fl.facts(pos, assess)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate policy test: %v\n\n", err)
		fs.Usage()
		return 2
	}
	p, from, err := resolvePolicyFile(pos[0], fl.orgPolicy)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if msg := fl.refused(); msg != "" {
		fmt.Fprintf(stderr, "stepgate policy test: %s\n", msg)
		return 2
	}
	m, facts, err := explainedMatch(p, &fl, facts, riskSource != "assessed" || assess != nil)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate policy test: %v\n", err)
		return 2
	}
	if fl.json {
		if fl.orgPolicy == "" {
			from = "" // the field is there only when a fallback was possible
		}
		return writeMatchJSON(stdout, stderr, m, facts, from)
	}
	fmt.Fprintf(stdout, "%-14s %s\n", "policy:", from)
	writeMatchText(stdout, m, facts, riskSource)
	return 0
}

// refused says why the App would refuse the request these flags describe
// (400), or "" when it would not.
func (fl *policyTestFlags) refused() string {
	if fl.source != policy.SourceStep && fl.source != policy.SourceAgent {
		return fmt.Sprintf("--source %q: want step or agent", fl.source)
	}
	if fl.environment != "" && fl.environmentInput != "" && fl.environment != fl.environmentInput {
		return fmt.Sprintf("--environment-input %q differs from the job's --environment %q: the App refuses such a request (400)", fl.environmentInput, fl.environment)
	}
	return ""
}

// explainedMatch decides the request as the App does (gate/decide; the
// given risk is used when givenRisk, else assessed) and returns the match
// with the facts as decided (the command as redacted) and notes on which
// rules were passed over and why, for the reader: the decision is
// decide's, the notes only explain it.
func explainedMatch(p *policy.Policy, fl *policyTestFlags, facts policy.Facts, givenRisk bool) (policy.Match, policy.Facts, error) {
	in := decide.Input{Command: facts.Command, Shell: fl.shell, WorkingDirectory: fl.workingDirectory,
		Environment: facts.Environment, EnvironmentInput: fl.environmentInput, Branch: facts.Branch, Actor: facts.Actor, Source: fl.source, Time: facts.Time}
	if givenRisk {
		in.Risk = &facts.Risk
	}
	out, err := decide.Evaluate(p, in)
	if err != nil {
		return policy.Match{}, facts, err
	}
	facts.Risk, facts.Command = out.Risk.Level, out.Command
	m := out.Match
	m.Decision, m.Require = out.Decision, out.Require
	ef := facts
	ef.Explain, ef.Source = true, in.Source
	m.Notes = p.Evaluate(ef).Notes
	return m, facts, nil
}

// resolvePolicyFile loads file, or, when org is given and file does not
// exist, org, or when neither exists the built-in default — the App's order
// (app/server policyload.go). It returns which one decided.
func resolvePolicyFile(file, org string) (*policy.Policy, string, error) {
	if org == "" {
		p, err := loadPolicy(file)
		return p, file, err
	}
	for _, f := range []string{file, org} {
		if _, err := os.Stat(f); errors.Is(err, os.ErrNotExist) {
			continue
		}
		p, err := loadPolicy(f)
		if f == org {
			f += " (org-wide default: " + file + " does not exist)"
		}
		return p, f, err
	}
	return policy.Default(), "built-in default (neither " + file + " nor " + org + " exists)", nil
}

// facts validates the flags and turns them into policy facts.
func (f *policyTestFlags) facts(pos []string, assess func(string) risk.Level) (policy.Facts, string, error) {
	switch {
	case len(pos) != 1:
		return policy.Facts{}, "", errors.New("name exactly one policy file")
	case strings.TrimSpace(f.command) == "":
		return policy.Facts{}, "", errors.New("--command is required")
	}
	facts := policy.Facts{Command: f.command, Environment: f.environment, Actor: f.actor, Branch: f.branch, Time: time.Now()}
	source := "given"
	switch {
	case f.risk != "":
		l, err := risk.ParseLevel(f.risk)
		if err != nil {
			return facts, "", fmt.Errorf("--risk: %w", err)
		}
		facts.Risk = l
	case assess != nil:
		facts.Risk, source = assess(f.command), "assessed"
	default:
		source = "assessed" // by gate/decide, as the App does
	}
	if f.time != "" {
		t, err := time.Parse(time.RFC3339, f.time)
		if err != nil {
			return facts, "", fmt.Errorf("--time %q: want RFC 3339 such as 2026-03-30T02:00:00Z", f.time)
		}
		facts.Time = t
	}
	return facts, source, nil
}

type learnJSON struct {
	After   int        `json:"after"`
	MaxRisk risk.Level `json:"max_risk"`
	TTL     string     `json:"ttl"`
}

type matchJSON struct {
	Rule         string              `json:"rule"`
	Decision     policy.Decision     `json:"decision"`
	Require      *policy.Requirement `json:"require"`
	Describe     string              `json:"description,omitempty"`
	Remember     string              `json:"remember"`
	Timeout      string              `json:"timeout"`
	SelfApproval bool                `json:"self_approval"`
	Learn        *learnJSON          `json:"learn"`
	Risk         risk.Level          `json:"risk"`
	Command      string              `json:"command"` // policy.CanonicalCommand: the remembered key's text
	// Commands are the commands of the tree as patterns see them.
	Commands []string `json:"commands"`
	// DecidedBy is the command of the tree that decided (a deny or require
	// pattern's match), Pattern the pattern, Reason why the rule applies.
	DecidedBy  string   `json:"decided_by,omitempty"`
	Pattern    string   `json:"pattern,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	PassedOver []string `json:"passed_over,omitempty"`
	PolicyFile string   `json:"policy_file,omitempty"`
}

func writeMatchJSON(stdout, stderr io.Writer, m policy.Match, f policy.Facts, from string) int {
	out := matchJSON{PolicyFile: from,
		Rule: m.Rule, Decision: m.Decision, Require: m.Require, Timeout: m.Timeout.String(),
		SelfApproval: m.SelfApproval, Risk: f.Risk, Command: policy.CanonicalCommand(f.Command),
		Commands: policy.TreeCommands(f.Command, f.Shell), DecidedBy: m.Command, Pattern: m.Pattern,
		Reason: m.Reason, PassedOver: m.Notes,
	}
	if m.Require != nil {
		out.Describe = m.Require.String()
	}
	if m.Remember > 0 {
		out.Remember = m.Remember.String()
	}
	if m.Learn != nil {
		out.Learn = &learnJSON{After: m.Learn.After, MaxRisk: m.Learn.MaxRisk, TTL: m.Learn.TTL.String()}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "stepgate policy test: %v\n", err)
		return 1
	}
	return 0
}

func writeMatchText(w io.Writer, m policy.Match, f policy.Facts, riskSource string) {
	line := func(k, v string) { fmt.Fprintf(w, "%-14s %s\n", k+":", v) }
	line("command", policy.CanonicalCommand(f.Command))
	for i, c := range policy.TreeCommands(f.Command, f.Shell) {
		k := ""
		if i == 0 {
			k = "commands"
		}
		fmt.Fprintf(w, "%-14s %d. %s\n", k+map[bool]string{true: ":"}[k != ""], i+1, c)
	}
	line("risk", fmt.Sprintf("%s (%s)", f.Risk, riskSource))
	line("rule", m.Rule)
	line("decision", string(m.Decision))
	if m.Command != "" {
		line("decided by", m.Command)
	}
	if m.Reason != "" {
		line("why", m.Reason)
	}
	for i, n := range m.Notes {
		k := ""
		if i == 0 {
			k = "passed over:"
		}
		fmt.Fprintf(w, "%-14s %s\n", k, n)
	}
	if m.Decision != policy.Require {
		return
	}
	line("requires", m.Require.String())
	line("timeout", m.Timeout.String())
	line("self-approval", map[bool]string{true: "allowed", false: "not allowed (the run's actor cannot approve)"}[m.SelfApproval])
	if m.Remember > 0 {
		line("remember", "reviewers may approve and remember for "+m.Remember.String())
	}
	if m.Learn != nil {
		line("learn", fmt.Sprintf("after %d approvals without a rejection, if risk is at most %s, for %s", m.Learn.After, m.Learn.MaxRisk, m.Learn.TTL))
	}
}

// flagExit maps flag parsing outcomes to exit codes: -h is success.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
