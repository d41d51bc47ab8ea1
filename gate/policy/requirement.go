package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Permission is a repository permission, as GitHub reports it.
type Permission string

// Permissions in increasing order of power.
const (
	PermNone     Permission = "none"
	PermRead     Permission = "read"
	PermTriage   Permission = "triage"
	PermWrite    Permission = "write"
	PermMaintain Permission = "maintain"
	PermAdmin    Permission = "admin"
)

func (p Permission) rank() int {
	switch strings.ToLower(string(p)) {
	case "read", "pull":
		return 1
	case "triage":
		return 2
	case "write", "push":
		return 3
	case "maintain":
		return 4
	case "admin":
		return 5
	}
	return 0
}

// AtLeast reports whether p grants everything q does. GitHub's legacy names
// (pull, push) are understood; unknown permissions rank as none.
func (p Permission) AtLeast(q Permission) bool { return p.rank() >= q.rank() }

// ParsePermission accepts the names a policy may use for role.
func ParsePermission(s string) (Permission, error) {
	switch p := Permission(strings.ToLower(strings.TrimSpace(s))); p {
	case PermRead, PermTriage, PermWrite, PermMaintain, PermAdmin:
		return p, nil
	}
	return "", fmt.Errorf("unknown role %q (want read, triage, write, maintain or admin)", s)
}

// maxDepth bounds all_of/any_of nesting; real policies use two or three.
const maxDepth = 16

// Requirement is either a leaf (Users, Team, Role or Codeowners set, with a
// Count) or a node (AllOf or AnyOf). Build one with Parse, Tighten or a
// literal followed by Validate.
type Requirement struct {
	AllOf []*Requirement `json:"all_of,omitempty"`
	AnyOf []*Requirement `json:"any_of,omitempty"`

	Users      []string   `json:"users,omitempty"`
	Team       string     `json:"team,omitempty"`       // "org/slug"
	Role       Permission `json:"role,omitempty"`       // minimum repository permission
	Codeowners string     `json:"codeowners,omitempty"` // a path; its CODEOWNERS owners qualify
	Count      int        `json:"count,omitempty"`      // approvals needed for a leaf; 0 means 1
}

func (r *Requirement) isLeaf() bool { return len(r.AllOf) == 0 && len(r.AnyOf) == 0 }

func (r *Requirement) need() int { return max(r.Count, 1) }

// Validate checks the shape rules Parse enforces, for requirements built in
// code or decoded from JSON.
func (r *Requirement) Validate() error { return r.validate(1) }

func (r *Requirement) validate(depth int) error {
	if r == nil {
		return errors.New("empty requirement")
	}
	if depth > maxDepth {
		return fmt.Errorf("requirements nested deeper than %d levels", maxDepth)
	}
	kinds := 0
	for _, set := range []bool{len(r.AllOf) > 0, len(r.AnyOf) > 0, len(r.Users) > 0, r.Team != "", r.Role != "", r.Codeowners != ""} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		return errors.New("empty requirement: want one of users, team, role, codeowners, all_of, any_of")
	case kinds > 1:
		return errors.New("one requirement per entry: wrap several in all_of or any_of")
	case r.Count < 0:
		return errors.New("count must be at least 1")
	case !r.isLeaf() && r.Count != 0:
		return errors.New("count applies to users, team, role and codeowners, not to all_of/any_of")
	case len(r.Users) > 0 && r.Count > len(r.Users):
		return fmt.Errorf("count %d is more than the %d users listed", r.Count, len(r.Users))
	case r.Role != "":
		if _, err := ParsePermission(string(r.Role)); err != nil {
			return err
		}
	case r.Team != "":
		return validateTeam(r.Team)
	}
	for _, c := range append(append([]*Requirement(nil), r.AllOf...), r.AnyOf...) {
		if err := c.validate(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

func validateTeam(t string) error {
	org, slug, ok := strings.Cut(t, "/")
	if !ok || org == "" || slug == "" || strings.ContainsAny(slug, "/ ") || strings.ContainsAny(org, " ") {
		return fmt.Errorf("team %q: want org/team-slug", t)
	}
	return nil
}

// String renders the requirement for people: "team acme/dba",
// "2 approvals from users with maintain or higher",
// "all of: (team acme/dba) and (an owner of db/migrations/)".
func (r *Requirement) String() string {
	if r == nil {
		return "nothing"
	}
	switch {
	case len(r.AllOf) == 1:
		return r.AllOf[0].String()
	case len(r.AllOf) > 1:
		return "all of: " + joinChildren(r.AllOf, " and ")
	case len(r.AnyOf) == 1:
		return r.AnyOf[0].String()
	case len(r.AnyOf) > 1:
		return "any of: " + joinChildren(r.AnyOf, " or ")
	}
	n := r.need()
	if n == 1 {
		return r.who(true)
	}
	return strconv.Itoa(n) + " approvals from " + r.who(false)
}

func joinChildren(cs []*Requirement, sep string) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = "(" + c.String() + ")"
	}
	return strings.Join(parts, sep)
}

// who names the people a leaf accepts, for one approver or several.
func (r *Requirement) who(one bool) string {
	switch {
	case len(r.Users) == 1:
		return r.Users[0]
	case len(r.Users) > 1 && one:
		return "one of " + strings.Join(r.Users, ", ")
	case len(r.Users) > 1:
		return strings.Join(r.Users, ", ")
	case r.Team != "":
		return "team " + r.Team
	case r.Role != "" && one:
		return "a user with " + string(r.Role) + " or higher"
	case r.Role != "":
		return "users with " + string(r.Role) + " or higher"
	case one:
		return "an owner of " + r.Codeowners
	default:
		return "owners of " + r.Codeowners
	}
}

// pending describes what a leaf still needs: "1 more from team acme/dba".
func (r *Requirement) pending(have int) string {
	return strconv.Itoa(r.need()-have) + " more from " + r.who(false)
}

// needs describes, for an ineligible person, what this leaf asks for.
func (r *Requirement) needs() string {
	switch {
	case len(r.Users) > 0:
		return "to be " + strings.Join(r.Users, " or ")
	case r.Team != "":
		return "membership in team " + r.Team
	case r.Role != "":
		return string(r.Role) + " permission"
	default:
		return "to own " + r.Codeowners + " in CODEOWNERS"
	}
}

// leaves calls fn for every leaf, depth first, in order.
func (r *Requirement) leaves(fn func(*Requirement)) {
	if r == nil {
		return
	}
	if r.isLeaf() {
		fn(r)
		return
	}
	for _, c := range r.AllOf {
		c.leaves(fn)
	}
	for _, c := range r.AnyOf {
		c.leaves(fn)
	}
}

// Teams lists the teams named anywhere, so the App knows which memberships
// to fetch. Duplicates are dropped (case-insensitively), order kept.
func (r *Requirement) Teams() []string {
	return r.collect(func(l *Requirement) []string { return []string{l.Team} })
}

// CodeownersPaths lists the paths whose CODEOWNERS owners qualify.
func (r *Requirement) CodeownersPaths() []string {
	return r.collect(func(l *Requirement) []string { return []string{l.Codeowners} })
}

// UserLogins lists the users named anywhere.
func (r *Requirement) UserLogins() []string {
	return r.collect(func(l *Requirement) []string { return l.Users })
}

// Roles lists the minimum permissions named anywhere.
func (r *Requirement) Roles() []Permission {
	var out []Permission
	for _, s := range r.collect(func(l *Requirement) []string { return []string{string(l.Role)} }) {
		out = append(out, Permission(s))
	}
	return out
}

func (r *Requirement) collect(get func(*Requirement) []string) []string {
	var out []string
	seen := map[string]bool{}
	r.leaves(func(l *Requirement) {
		for _, v := range get(l) {
			if k := strings.ToLower(v); v != "" && !seen[k] {
				seen[k] = true
				out = append(out, v)
			}
		}
	})
	return out
}

// UnmarshalJSON decodes the JSON form (the struct tags above, as Marshal
// writes it), refusing unknown fields, and validates it, so a
// requirement stored by the App cannot come back malformed.
func (r *Requirement) UnmarshalJSON(b []byte) error {
	type plain Requirement
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*r = Requirement(p)
	return r.Validate()
}
