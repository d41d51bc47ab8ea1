package server

import (
	"encoding/json"
	"fmt"
	"strings"

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

// pendingFromVotes works out, from the requirement leaves each recorded
// vote counted toward (Vote.Satisfied, written when the vote was checked),
// what is still missing. It needs no GitHub call, so reads stay cheap.
func pendingFromVotes(req *policy.Requirement, votes []gate.Vote) []string {
	if req == nil {
		return nil
	}
	counts := map[string]int{}
	for _, v := range votes {
		if !v.Approve {
			continue
		}
		for _, leaf := range v.Satisfied {
			counts[leaf]++
		}
	}
	var out []string
	var walk func(r *policy.Requirement) bool
	walk = func(r *policy.Requirement) bool {
		switch {
		case len(r.AllOf) > 0:
			ok := true
			for _, c := range r.AllOf {
				ok = walk(c) && ok
			}
			return ok
		case len(r.AnyOf) > 0:
			mark := len(out)
			for _, c := range r.AnyOf {
				if walk(c) {
					out = out[:mark]
					return true
				}
			}
			return false
		}
		need := max(r.Count, 1)
		have := counts[r.String()]
		if have >= need {
			return true
		}
		out = append(out, fmt.Sprintf("%d more: %s", need-have, r.String()))
		return false
	}
	walk(req)
	return dedupeFold(out)
}

func dedupeFold(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if k := strings.ToLower(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}
