package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate/policy"
)

// `stepgate policy test --deployment`: which deployments: rule a job-level
// gate meets (the App evaluates the same policy.EvaluateDeployment).

func (f *policyTestFlags) registerDeployment(fs *flag.FlagSet) {
	fs.BoolVar(&f.deployment, "deployment", false, "test a job-level gate: a job deploying to --environment (the deployments: rules) instead of a command")
	fs.BoolVar(&f.workflowChanged, "workflow-changed", false, "with --deployment: the run's workflow file differs from the default branch's (matched by if: workflow_changed)")
}

type deploymentJSON struct {
	Rule            string              `json:"rule"`
	Decision        policy.Decision     `json:"decision"`
	Require         *policy.Requirement `json:"require"`
	Describe        string              `json:"description,omitempty"`
	Remember        string              `json:"remember"`
	Timeout         string              `json:"timeout"`
	SelfApproval    bool                `json:"self_approval"`
	Deployment      bool                `json:"deployment"`
	Environment     string              `json:"environment"`
	Branch          string              `json:"branch,omitempty"`
	Actor           string              `json:"actor,omitempty"`
	WorkflowChanged bool                `json:"workflow_changed"`
	PolicyFile      string              `json:"policy_file,omitempty"`
}

func deploymentTest(pos []string, fl *policyTestFlags, stdout, stderr io.Writer, usage func()) int {
	facts, err := fl.deploymentFacts(pos)
	if err != nil {
		fmt.Fprintf(stderr, "stepgate policy test: %v\n\n", err)
		usage()
		return 2
	}
	p, from, err := resolvePolicyFile(pos[0], fl.orgPolicy)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	m := p.EvaluateDeployment(facts)
	if fl.json {
		if fl.orgPolicy == "" {
			from = ""
		}
		out := deploymentJSON{Rule: m.Rule, Decision: m.Decision, Require: m.Require, Timeout: m.Timeout.String(),
			SelfApproval: m.SelfApproval, Deployment: true, Environment: facts.Environment, Branch: facts.Branch,
			Actor: facts.Actor, WorkflowChanged: facts.WorkflowChanged, PolicyFile: from}
		if m.Require != nil {
			out.Describe = m.Require.String()
		}
		if m.Remember > 0 {
			out.Remember = m.Remember.String()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "stepgate policy test: %v\n", err)
			return 1
		}
		return 0
	}
	line := func(k, v string) { fmt.Fprintf(stdout, "%-16s %s\n", k+":", v) }
	line("policy", from)
	line("deployment to", facts.Environment)
	if facts.Branch != "" {
		line("branch", facts.Branch)
	}
	line("workflow", map[bool]string{true: "differs from the default branch", false: "same as the default branch"}[facts.WorkflowChanged])
	line("rule", m.Rule)
	line("decision", string(m.Decision))
	if m.Decision != policy.Require {
		return 0
	}
	line("requires", m.Require.String())
	line("timeout", m.Timeout.String())
	line("self-approval", map[bool]string{true: "allowed", false: "not allowed (the run's actor cannot approve)"}[m.SelfApproval])
	if m.Remember > 0 {
		line("remember", "reviewers may approve and remember (same environment, branch and workflow files) for "+m.Remember.String())
	}
	return 0
}

func (f *policyTestFlags) deploymentFacts(pos []string) (policy.DeploymentFacts, error) {
	switch {
	case !f.deployment:
		return policy.DeploymentFacts{}, errors.New("--workflow-changed applies to --deployment")
	case len(pos) != 1:
		return policy.DeploymentFacts{}, errors.New("name exactly one policy file")
	case strings.TrimSpace(f.environment) == "":
		return policy.DeploymentFacts{}, errors.New("--deployment needs --environment (the environment the job deploys to)")
	case f.command != "" || f.risk != "" || f.shell != "" || f.workingDirectory != "":
		return policy.DeploymentFacts{}, errors.New("--deployment tests a job, not a command: drop --command, --risk, --shell and --working-directory")
	}
	facts := policy.DeploymentFacts{Environment: f.environment, Branch: f.branch, Actor: f.actor,
		WorkflowChanged: f.workflowChanged, Time: time.Now()}
	if f.time != "" {
		t, err := time.Parse(time.RFC3339, f.time)
		if err != nil {
			return facts, fmt.Errorf("--time %q: want RFC 3339 such as 2026-03-30T02:00:00Z", f.time)
		}
		facts.Time = t
	}
	return facts, nil
}
