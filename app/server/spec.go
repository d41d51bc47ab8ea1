package server

import (
	"encoding/json"
	"fmt"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
)

// spec is what the App keeps about a pending request's policy outcome, in
// gate.Request.Requirement (opaque to the store): the requirement after the
// action's approvers tightened it, the rule's learn setting, and whom the
// App asked (users, teams, CODEOWNERS owners of the routed paths).
type spec struct {
	Require *policy.Requirement `json:"require,omitempty"`
	Learn   *policy.Learn       `json:"learn,omitempty"`
	Owners  []string            `json:"owners,omitempty"`
	// Deployment is what a job-level gate found about the run's workflow
	// files (deployment_workflow.go); nil for steps.
	Deployment *deploymentInfo `json:"deployment,omitempty"`
}

func (sp *spec) encode() (string, error) {
	b, err := json.Marshal(sp)
	if err != nil {
		return "", fmt.Errorf("encoding requirement: %w", err)
	}
	return string(b), nil
}

func decodeSpec(r *gate.Request) (*spec, error) {
	var sp spec
	if r.Requirement == "" {
		return &sp, nil
	}
	if err := json.Unmarshal([]byte(r.Requirement), &sp); err != nil {
		return nil, fmt.Errorf("decoding requirement of %s: %w", r.ID, err)
	}
	return &sp, nil
}

// roles lists the minimum permissions the requirement accepts, as text.
func (sp *spec) roles() []string {
	if sp.Require == nil {
		return nil
	}
	var out []string
	for _, p := range sp.Require.Roles() {
		out = append(out, string(p))
	}
	return out
}

// pending is what sp's requirement still needs, given the request's votes:
// only approvals count, each toward the leaves recorded when it was checked.
func (sp *spec) pending(votes []gate.Vote) []string {
	var satisfied [][]string
	for _, v := range votes {
		if v.Approve {
			satisfied = append(satisfied, v.Satisfied)
		}
	}
	return policy.PendingFromVotes(sp.Require, satisfied)
}
