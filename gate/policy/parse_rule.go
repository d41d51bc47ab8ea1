package policy

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stepgate/stepgate/gate/risk"
)

// Defaults for a `learn:` block that leaves fields out.
const (
	defaultLearnAfter = 3
	defaultLearnTTL   = 30 * 24 * time.Hour
)

var (
	topFields  = []string{"version", "defaults", "rules", "deployments"}
	defFields  = []string{"timeout", "self_approval", "learn", "agent", "custom_shells"}
	ruleFields = []string{"name", "description", "if", "then", "require", "remember", "learn", "timeout", "self_approval", "max_risk"}
	ifFields   = []string{"command", "environment", "branch", "actor", "source", "risk", "outside_hours"}
	reqFields  = []string{"users", "team", "role", "codeowners", "count", "all_of", "any_of"}
	lrnFields  = []string{"after", "max_risk", "ttl"}
)

func (d *decoder) policy(n *yaml.Node) *Policy {
	f := d.mapping(n, "", topFields...)
	if f == nil {
		return nil
	}
	p := &Policy{Defaults: Defaults{Timeout: DefaultTimeout}}
	if v := f["version"].val; v == nil {
		d.errorf(n, "version", "required: add \"version: 1\"")
	} else if ver, ok := d.integer(v, "version"); ok && ver != 1 {
		d.errorf(v, "version", "unsupported version %d (this stepgate reads version 1)", ver)
	} else {
		p.Version = ver
	}
	if v := f["defaults"].val; v != nil {
		d.defaults(v, &p.Defaults)
	}
	p.Deployments = d.deployments(f["deployments"].val) // parse_deployments.go
	v := f["rules"].val
	if v == nil {
		d.errorf(n, "rules", "required: a list of rules (it may be empty: rules: [])")
		return p
	}
	if v.Kind != yaml.SequenceNode {
		d.errorf(v, "rules", "expected a list of rules, got %s", describe(v))
		return p
	}
	names := map[string]int{}
	var catchAll *Rule
	for i, rn := range v.Content {
		path := fmt.Sprintf("rules[%d]", i)
		before := len(d.errs)
		r := d.rule(rn, path)
		if r == nil {
			continue
		}
		if first, dup := names[r.Name]; dup {
			d.errorf(rn, path+".name", "duplicate rule name %q (first at line %d)", r.Name, first)
		}
		names[r.Name] = rn.Line
		switch {
		case catchAll != nil && catchAll.Line > 0:
			d.errorf(rn, path, "unreachable: rule %q (line %d) has no `if` and matches every request before it", catchAll.Name, catchAll.Line)
			catchAll.Line = 0 // say it once
		case catchAll == nil && r.cond.always() && len(d.errs) == before:
			// A rule whose `if` had errors is not known to match everything.
			c := *r
			catchAll = &c
		}
		p.Rules = append(p.Rules, r)
	}
	return p
}

func (d *decoder) defaults(n *yaml.Node, def *Defaults) {
	f := d.mapping(n, "defaults", defFields...)
	if v := f["timeout"].val; v != nil {
		if t, ok := d.duration(v, "defaults.timeout"); ok {
			def.Timeout = time.Duration(t)
		}
	}
	if v := f["self_approval"].val; v != nil {
		def.SelfApproval, _ = d.boolean(v, "defaults.self_approval")
	}
	if v := f["learn"].val; v != nil {
		def.Learn, _ = d.learn(v, "defaults.learn")
	}
	if v := f["agent"].val; v != nil {
		def.Agent = d.agent(v, "defaults.agent")
	}
	if v := f["custom_shells"].val; v != nil {
		list, ok := d.strList(v, "defaults.custom_shells")
		for i := 0; ok && i < len(list); i++ {
			if !strings.Contains(list[i], "{0}") {
				node, field := item(v, i, "defaults.custom_shells")
				d.errorf(node, field, "a shell template must contain {0} (where the script's path goes), e.g. \"perl {0}\"")
				continue
			}
			def.CustomShells = append(def.CustomShells, strings.Join(strings.Fields(list[i]), " "))
		}
	}
}

func (d *decoder) rule(n *yaml.Node, path string) *Rule {
	f := d.mapping(n, path, ruleFields...)
	if f == nil {
		return nil
	}
	r := &Rule{Line: n.Line}
	if v := f["name"].val; v == nil {
		d.errorf(n, path+".name", "required: every rule needs a name (it is shown to reviewers)")
	} else {
		r.Name, _ = d.str(v, path+".name")
	}
	if v := f["description"].val; v != nil {
		d.str(v, path+".description")
	}
	if v := f["if"].val; v != nil {
		d.cond(v, path+".if", &r.cond)
	}
	d.decision(f, n, path, r)
	if v := f["timeout"].val; v != nil {
		t, _ := d.duration(v, path+".timeout")
		r.Timeout = time.Duration(t)
	}
	if v := f["self_approval"].val; v != nil {
		b, ok := d.boolean(v, path+".self_approval")
		if ok {
			r.SelfApproval = &b
		}
	}
	if v := f["remember"].val; v != nil {
		t, _ := d.duration(v, path+".remember")
		r.Remember = time.Duration(t)
	}
	if v := f["learn"].val; v != nil {
		r.Learn, r.NoLearn = d.learn(v, path+".learn")
	}
	if v := f["max_risk"].val; v != nil {
		if s, ok := d.str(v, path+".max_risk"); ok {
			if l, err := risk.ParseLevel(s); err != nil {
				d.errorf(v, path+".max_risk", "%v", err)
			} else {
				r.MaxRisk = &l
			}
		}
		if r.Then != Allow {
			d.errorf(f["max_risk"].key, path+".max_risk", "only applies to `then: allow` rules (it caps the risk they let through)")
		}
	}
	if r.Then == Allow || r.Then == Deny {
		for _, k := range []string{"remember", "learn", "timeout", "self_approval"} {
			if fv := f[k]; fv.key != nil {
				d.errorf(fv.key, path+"."+k, "only applies to rules that require approval, not to `then: %s`", r.Then)
			}
		}
	}
	return r
}

// decision reads `then` and `require`: require implies then: require.
func (d *decoder) decision(f map[string]field, n *yaml.Node, path string, r *Rule) {
	then, req := f["then"].val, f["require"].val
	if then != nil {
		s, ok := d.str(then, path+".then")
		switch Decision(s) {
		case Allow, Deny, Require:
			r.Then = Decision(s)
		default:
			if ok {
				d.errorf(then, path+".then", "unknown decision %q (want allow, deny or require)", s)
			}
		}
	}
	switch {
	case req != nil && (r.Then == Allow || r.Then == Deny):
		d.errorf(req, path+".require", "`then: %s` cannot have a require; drop one of them", r.Then)
	case req != nil:
		r.Then = Require
		r.Require = d.requirement(req, path+".require", 1)
	case r.Then == Require:
		d.errorf(then, path+".then", "`then: require` needs a `require:` saying who must approve")
	case then == nil:
		d.errorf(n, path+".then", "required: `then: allow`, `then: deny` or a `require:` block")
	}
}

func (d *decoder) cond(n *yaml.Node, path string, c *condition) {
	f := d.mapping(n, path, ifFields...)
	if v := f["command"].val; v != nil {
		d.commands(v, path+".command", c)
	}
	if v := f["source"].val; v != nil {
		list, ok := d.strList(v, path+".source")
		for i := 0; ok && i < len(list); i++ {
			s := strings.ToLower(list[i])
			if s != SourceStep && s != SourceAgent {
				node, field := item(v, i, path+".source")
				d.errorf(node, field, "unknown source %q (want step or agent)", list[i])
				continue
			}
			c.source = append(c.source, s)
		}
	}
	c.environment, c.branch, c.actor = d.contextKeys(f, path)
	if v := f["risk"].val; v != nil {
		if s, ok := d.str(v, path+".risk"); ok {
			if l, err := risk.ParseLevel(s); err != nil {
				d.errorf(v, path+".risk", "%v", err)
			} else {
				c.risk = &l
			}
		}
	}
	c.outsideHours = append(c.outsideHours, d.outsideHours(f, path)...)
}

// contextKeys compiles the environment, branch and actor patterns of an
// `if` (command rules and deployment rules alike); a key with a bad pattern
// stays nil (the error is recorded).
func (d *decoder) contextKeys(f map[string]field, path string) (environment, branch, actor []*glob) {
	out := map[string][]*glob{}
	for _, key := range []string{"environment", "branch", "actor"} {
		v := f[key].val
		if v == nil {
			continue
		}
		list, ok := d.strList(v, path+"."+key)
		if !ok {
			continue
		}
		gs := make([]*glob, 0, len(list))
		for i, pat := range list {
			g, err := compilePattern(key, pat)
			if err != nil {
				node, field := item(v, i, path+"."+key)
				d.errorf(node, field, "bad pattern: %v", err)
				continue
			}
			gs = append(gs, g)
		}
		if len(gs) == len(list) {
			out[key] = gs
		}
	}
	return out["environment"], out["branch"], out["actor"]
}

// outsideHours parses the time windows of an `if`.
func (d *decoder) outsideHours(f map[string]field, path string) []*window {
	v := f["outside_hours"].val
	if v == nil {
		return nil
	}
	var out []*window
	list, ok := d.strList(v, path+".outside_hours")
	for i := 0; ok && i < len(list); i++ {
		w, err := parseWindow(list[i])
		if err != nil {
			node, field := item(v, i, path+".outside_hours")
			d.errorf(node, field, "%v", err)
			continue
		}
		out = append(out, w)
	}
	return out
}

// commands compiles the `command:` patterns of an `if`.
func (d *decoder) commands(v *yaml.Node, path string, c *condition) {
	list, ok := d.strList(v, path)
	if !ok {
		return
	}
	var out []*cmdPattern
	bad := false
	for i, pat := range list {
		ps, err := compileCommandPattern(pat)
		if err != nil {
			node, field := item(v, i, path)
			d.errorf(node, field, "bad pattern: %v", err)
			bad = true
			continue
		}
		for _, p := range ps {
			p.line, p.field = lineOf(v, i), fieldOf(v, i, path)
		}
		out = append(out, ps...)
	}
	if !bad {
		c.command = out
	}
}

func lineOf(v *yaml.Node, i int) int {
	n, _ := item(v, i, "")
	return n.Line
}

func fieldOf(v *yaml.Node, i int, path string) string {
	_, f := item(v, i, path)
	return f
}

// item locates entry i of a string-or-list value for error messages.
func item(v *yaml.Node, i int, path string) (*yaml.Node, string) {
	if v.Kind == yaml.SequenceNode {
		return v.Content[i], fmt.Sprintf("%s[%d]", path, i)
	}
	return v, path
}

// always reports whether the condition has no keys at all.
func (c *condition) always() bool {
	return c.command == nil && c.environment == nil && c.branch == nil && c.actor == nil &&
		c.source == nil && c.risk == nil && c.outsideHours == nil
}
