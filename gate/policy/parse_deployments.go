package policy

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	deployFields   = []string{"name", "description", "if", "then", "require", "remember", "timeout", "self_approval"}
	deployIfFields = []string{"environment", "branch", "actor", "outside_hours", "workflow_changed"}
)

// deployments decodes the top-level `deployments:` list (nil node: none).
func (d *decoder) deployments(n *yaml.Node) []*DeploymentRule {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "deployments", "expected a list of deployment rules, got %s", describe(n))
		return nil
	}
	var out []*DeploymentRule
	names := map[string]int{}
	var catchAll *DeploymentRule
	for i, rn := range n.Content {
		path := fmt.Sprintf("deployments[%d]", i)
		before := len(d.errs)
		r := d.deploymentRule(rn, path)
		if r == nil {
			continue
		}
		if first, dup := names[r.Name]; dup && r.Name != "" {
			d.errorf(rn, path+".name", "duplicate deployment rule name %q (first at line %d)", r.Name, first)
		}
		names[r.Name] = rn.Line
		switch {
		case catchAll != nil && catchAll.Line > 0 && r.Then != Deny:
			// A deny rule after a catch-all still applies (deny wins
			// wherever it stands); anything else never would.
			d.errorf(rn, path, "unreachable: deployment rule %q (line %d) has no `if` and matches every deployment before it", catchAll.Name, catchAll.Line)
			catchAll.Line = 0
		case catchAll == nil && r.cond.always() && r.Then != Deny && len(d.errs) == before:
			c := *r
			catchAll = &c
		}
		out = append(out, r)
	}
	return out
}

func (d *decoder) deploymentRule(n *yaml.Node, path string) *DeploymentRule {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value == "learn" {
				d.errorf(k, path+".learn", "learn applies to command rules only; a deployment rule can `remember: TTL` (same environment, branch and workflow)")
				n = withoutKey(n, i)
				break
			}
		}
	}
	f := d.mapping(n, path, deployFields...)
	if f == nil {
		return nil
	}
	r := &DeploymentRule{Line: n.Line}
	if v := f["name"].val; v == nil {
		d.errorf(n, path+".name", "required: every rule needs a name (it is shown to reviewers)")
	} else {
		r.Name, _ = d.str(v, path+".name")
	}
	if v := f["description"].val; v != nil {
		d.str(v, path+".description")
	}
	if v := f["if"].val; v != nil {
		d.deployCond(v, path+".if", &r.cond)
	}
	var tmp Rule
	d.decision(f, n, path, &tmp)
	r.Then, r.Require = tmp.Then, tmp.Require
	if v := f["timeout"].val; v != nil {
		t, _ := d.duration(v, path+".timeout")
		r.Timeout = time.Duration(t)
	}
	if v := f["self_approval"].val; v != nil {
		if b, ok := d.boolean(v, path+".self_approval"); ok {
			r.SelfApproval = &b
		}
	}
	if v := f["remember"].val; v != nil {
		t, _ := d.duration(v, path+".remember")
		r.Remember = time.Duration(t)
	}
	if r.Then == Allow || r.Then == Deny {
		for _, k := range []string{"remember", "timeout", "self_approval"} {
			if fv := f[k]; fv.key != nil {
				d.errorf(fv.key, path+"."+k, "only applies to rules that require approval, not to `then: %s`", r.Then)
			}
		}
	}
	return r
}

// withoutKey returns a copy of mapping n without its i-th key and value.
func withoutKey(n *yaml.Node, i int) *yaml.Node {
	c := *n
	c.Content = append(append([]*yaml.Node(nil), n.Content[:i]...), n.Content[i+2:]...)
	return &c
}

func (d *decoder) deployCond(n *yaml.Node, path string, c *deployCond) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "command", "risk", "source":
				d.errorf(k, path+"."+k.Value, "deployment rules match a job, not a command: want one of environment, branch, actor, outside_hours, workflow_changed")
				d.deployCond(withoutKey(n, i), path, c)
				return
			}
		}
	}
	f := d.mapping(n, path, deployIfFields...)
	c.environment, c.branch, c.actor = d.contextKeys(f, path)
	c.outsideHours = append(c.outsideHours, d.outsideHours(f, path)...)
	if v := f["workflow_changed"].val; v != nil {
		if b, ok := d.boolean(v, path+".workflow_changed"); ok {
			c.workflowChanged = &b
		}
	}
}
