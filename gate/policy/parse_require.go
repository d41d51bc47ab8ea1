package policy

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stepgate/stepgate/gate/risk"
)

// requirement decodes one leaf or node. depth counts all_of/any_of levels.
func (d *decoder) requirement(n *yaml.Node, path string, depth int) *Requirement {
	if depth > maxDepth {
		d.errorf(n, path, "requirements nested deeper than %d levels", maxDepth)
		return nil
	}
	f := d.mapping(n, path, reqFields...)
	if f == nil {
		return nil
	}
	var kinds []string
	for _, k := range reqFields {
		if k != "count" && f[k].key != nil {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		d.errorf(n, path, "empty requirement: want one of users, team, role, codeowners, all_of, any_of")
		return nil
	case 1:
	default:
		d.errorf(f[kinds[1]].key, path, "one requirement per entry, got %s: wrap them in all_of or any_of", strings.Join(kinds, " and "))
		return nil
	}
	kind := kinds[0]
	if kind == "all_of" || kind == "any_of" {
		if c := f["count"]; c.key != nil {
			d.errorf(c.key, path+".count", "count applies to users, team, role and codeowners, not to %s", kind)
		}
		return d.node(f[kind].val, path+"."+kind, kind, depth)
	}
	r := &Requirement{Count: 1}
	if c := f["count"].val; c != nil {
		if v, ok := d.integer(c, path+".count"); ok {
			if v < 1 || v > maxCount {
				d.errorf(c, path+".count", "must be from 1 to %d, got %d", maxCount, v)
			} else {
				r.Count = v
			}
		}
	}
	d.leaf(f[kind].val, path+"."+kind, kind, r)
	if len(r.Users) > 0 && r.Count > len(r.Users) {
		d.errorf(f["count"].val, path+".count", "count %d is more than the %d users listed", r.Count, len(r.Users))
	}
	return r
}

func (d *decoder) node(v *yaml.Node, path, kind string, depth int) *Requirement {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		d.errorf(v, path, "expected a non-empty list of requirements, got %s", describe(v))
		return nil
	}
	children := make([]*Requirement, 0, len(v.Content))
	for i, c := range v.Content {
		children = append(children, d.requirement(c, fmt.Sprintf("%s[%d]", path, i), depth+1))
	}
	if kind == "all_of" {
		return &Requirement{AllOf: children}
	}
	return &Requirement{AnyOf: children}
}

func (d *decoder) leaf(v *yaml.Node, path, kind string, r *Requirement) {
	if kind == "users" {
		r.Users, _ = d.strList(v, path)
		return
	}
	s, ok := d.str(v, path)
	if !ok {
		return
	}
	switch kind {
	case "team":
		if err := validateTeam(s); err != nil {
			d.errorf(v, path, "%v", err)
		}
		r.Team = s
	case "role":
		p, err := ParsePermission(s)
		if err != nil {
			d.errorf(v, path, "%v", err)
		}
		r.Role = p
	case "codeowners":
		r.Codeowners = s
	}
}

// learn decodes `learn: {after, max_risk, ttl}` (omitted fields take the
// defaults 3, low, 30d) or `learn: false`, which turns learning off.
func (d *decoder) learn(n *yaml.Node, path string) (l *Learn, off bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		if n.Value == "false" || n.Value == "False" || n.Value == "FALSE" {
			return nil, true
		}
		d.errorf(n, path, "use a mapping such as {after: 3, max_risk: low, ttl: 30d}, or false")
		return nil, false
	}
	f := d.mapping(n, path, lrnFields...)
	if f == nil {
		return nil, false
	}
	l = &Learn{After: defaultLearnAfter, MaxRisk: risk.LevelLow, TTL: defaultLearnTTL}
	if v := f["after"].val; v != nil {
		if a, ok := d.integer(v, path+".after"); ok && (a < 1 || a > maxCount) {
			d.errorf(v, path+".after", "must be from 1 to %d, got %d", maxCount, a)
		} else if ok {
			l.After = a
		}
	}
	if v := f["max_risk"].val; v != nil {
		if s, ok := d.str(v, path+".max_risk"); ok {
			lv, err := risk.ParseLevel(s)
			if err != nil {
				d.errorf(v, path+".max_risk", "%v", err)
			}
			l.MaxRisk = lv
		}
	}
	if v := f["ttl"].val; v != nil {
		if t, ok := d.duration(v, path+".ttl"); ok {
			l.TTL = time.Duration(t)
		}
	}
	return l, false
}
