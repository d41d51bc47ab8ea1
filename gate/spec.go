package gate

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/gate/policy"
)

// Spec is what the App decided a pending request requires, stored with
// the request (Request.Spec) and read back typed: the requirement after
// the action's approvers tightened it, the rule's learn setting, whom the
// App asked (CODEOWNERS owners of the routed paths) and, for job-level
// gates, what it found about the run's workflow files.
type Spec struct {
	Require *policy.Requirement `json:"require,omitempty"`
	Learn   *policy.Learn       `json:"learn,omitempty"`
	Owners  []string            `json:"owners,omitempty"`
	// Deployment is set for job-level gates; nil for steps.
	Deployment *DeploymentFacts `json:"deployment,omitempty"`
}

// DeploymentFacts is what a job-level gate found about the run's workflow
// files when it was requested.
type DeploymentFacts struct {
	// Starters are who set the deployment going besides the run's actor:
	// the attempt's triggering actor (a re-run) and the pull request's
	// author. Like the actor they never approve it unless the rule allows
	// self-approval.
	Starters   []string       `json:"starters,omitempty"`
	Workflow   string         `json:"workflow"`
	Files      []WorkflowFile `json:"files,omitempty"`
	Changed    bool           `json:"changed"`
	Truncated  bool           `json:"truncated,omitempty"`
	CompareURL string         `json:"compare_url,omitempty"`
	External   []string       `json:"external,omitempty"`
}

// WorkflowFile is one workflow file of a run, compared with the default
// branch's copy.
type WorkflowFile struct {
	Path        string `json:"path"`
	Ref         string `json:"ref"`                    // the commit the run took it from
	HeadBlob    string `json:"head_blob,omitempty"`    // "" when absent there
	DefaultBlob string `json:"default_blob,omitempty"` // "" when absent on the default branch
}

// Changed reports whether the run's copy differs from the default branch's
// (or is missing at the run's commit).
func (f WorkflowFile) Changed() bool { return f.HeadBlob == "" || f.HeadBlob != f.DefaultBlob }

// Roles lists the minimum permissions the requirement accepts, as text.
func (sp *Spec) Roles() []string {
	if sp == nil || sp.Require == nil {
		return nil
	}
	var out []string
	for _, p := range sp.Require.Roles() {
		out = append(out, string(p))
	}
	return out
}

// Pending is what the requirement still needs, given the request's votes:
// only approvals count, each toward the leaves recorded when it was checked.
func (sp *Spec) Pending(votes []Vote) []string {
	if sp == nil {
		return nil
	}
	var satisfied [][]string
	for _, v := range votes {
		if v.Approve {
			satisfied = append(satisfied, v.Satisfied)
		}
	}
	return policy.PendingFromVotes(sp.Require, satisfied)
}

// Starter reports whether login set the deployment going (see
// DeploymentFacts.Starters); false for steps.
func (sp *Spec) Starter(login string) bool {
	if sp == nil || sp.Deployment == nil {
		return false
	}
	for _, s := range sp.Deployment.Starters {
		if strings.EqualFold(s, login) {
			return true
		}
	}
	return false
}

// MarshalJSON writes the spec as stores have always kept it: a JSON string
// holding the spec's JSON, so replicas of the previous release read the
// requests of this one during a rolling upgrade (and the other way round).
func (sp Spec) MarshalJSON() ([]byte, error) {
	type plain Spec
	b, err := json.Marshal(plain(sp))
	if err != nil {
		return nil, err
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON reads a spec as MarshalJSON writes it, or as a JSON object.
func (sp *Spec) UnmarshalJSON(b []byte) error {
	type plain Spec
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*sp = Spec{}
			return nil
		}
		b = []byte(s)
	}
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("decoding requirement spec: %w", err)
	}
	*sp = Spec(p)
	return nil
}
