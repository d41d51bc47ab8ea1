package policy

import (
	"fmt"
	"strings"
)

// SplitApprovers splits the action's `approvers` input, which may separate
// entries with commas, spaces or newlines.
func SplitApprovers(input string) []string {
	return strings.FieldsFunc(input, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r'
	})
}

// ParseApprover parses one extra requirement from the action's `approvers`
// input: "team:acme/sre", "user:alice", "role:admin", "codeowners:path".
// A count may follow after '*': "role:maintain*2".
func ParseApprover(s string) (*Requirement, error) {
	kind, value, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || value == "" {
		return nil, fmt.Errorf("approver %q: want team:ORG/SLUG, user:LOGIN, role:PERMISSION or codeowners:PATH", s)
	}
	count := 1
	if v, n, ok := strings.Cut(value, "*"); ok {
		if _, err := fmt.Sscanf(n, "%d", &count); err != nil || count < 1 || count > maxCount || fmt.Sprint(count) != n {
			return nil, fmt.Errorf("approver %q: count must be a number from 1 to %d", s, maxCount)
		}
		value = v
	}
	r := &Requirement{Count: count}
	switch strings.ToLower(kind) {
	case "team":
		r.Team = value
	case "user", "users":
		r.Users = strings.Split(value, "+")
	case "role":
		p, err := ParsePermission(value)
		if err != nil {
			return nil, fmt.Errorf("approver %q: %w", s, err)
		}
		r.Role = p
	case "codeowners":
		r.Codeowners = value
	default:
		return nil, fmt.Errorf("approver %q: unknown kind %q (want team, user, role or codeowners)", s, kind)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("approver %q: %w", s, err)
	}
	return r, nil
}

// Tighten adds the action's extra approvers to what the policy requires:
// all_of(base, extra...). It can only make a requirement stricter. A nil
// base (the policy allows the command) with extras becomes just the extras;
// with no extras base is returned unchanged. Callers must not apply Tighten
// to a deny: deny stays deny.
func Tighten(base *Requirement, extra []string) (*Requirement, error) {
	var add []*Requirement
	for _, e := range extra {
		if strings.TrimSpace(e) == "" {
			continue
		}
		r, err := ParseApprover(e)
		if err != nil {
			return nil, err
		}
		add = append(add, r)
	}
	if len(add) == 0 {
		return base, nil
	}
	var out *Requirement
	switch {
	case base == nil && len(add) == 1:
		out = add[0]
	case base == nil:
		out = &Requirement{AllOf: add}
	case len(base.AllOf) > 0:
		// Flatten so the text reads "all of: (a) and (b) and (c)".
		out = &Requirement{AllOf: append(append([]*Requirement(nil), base.AllOf...), add...)}
	default:
		out = &Requirement{AllOf: append([]*Requirement{base}, add...)}
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}
