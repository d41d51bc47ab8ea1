package policy

import (
	"strings"
)

// Approver is what the App knows about a person who voted, fetched from
// GitHub at vote time (security invariant 3: re-checked on the server).
type Approver struct {
	Login      string
	Permission Permission
	Teams      []string               // "org/slug", active memberships only
	Owns       func(path string) bool // CODEOWNERS ownership of a path; nil owns nothing
	Bot        bool                   // bots and the App itself never count
	RunActor   bool                   // the actor of the gated run
	PRAuthor   bool                   // the author of the run's pull request
}

// Vote is one approval or rejection.
type Vote struct {
	Approver Approver
	Approve  bool
	Channel  string // "check_run", "comment", …: recorded, not judged
	Remember bool   // approve-and-remember; the App decides if the rule allows it
}

// Progress is how far a set of votes gets towards a requirement.
type Progress struct {
	Met        bool
	Rejected   bool
	RejectedBy string
	Pending    []string            // leaves still open: "1 more from team acme/dba"
	Counted    map[string][]string // login -> leaves their approval counted towards
	Ignored    map[string]string   // login -> why their vote does not count
}

// Reasons a vote is ignored.
const (
	whyBot     = "bots never count"
	whyActor   = "the run's actor cannot approve"
	whyAuthor  = "the pull request's author cannot approve"
	whyNoLogin = "vote without a login"
	whyNoMatch = "needs "
)

// Eligible reports whether a's approval or rejection can count towards some
// leaf of req; if not, why says what is missing. Bots never count; the run's
// actor and the pull request's author only count when selfApproval is on.
func Eligible(req *Requirement, a Approver, selfApproval bool) (ok bool, why string) {
	switch {
	case strings.TrimSpace(a.Login) == "":
		return false, whyNoLogin
	case a.Bot:
		return false, whyBot
	case a.RunActor && !selfApproval:
		return false, whyActor
	case a.PRAuthor && !selfApproval:
		return false, whyAuthor
	case req == nil:
		return false, "nothing to approve"
	}
	var needs []string
	found := false
	req.leaves(func(l *Requirement) {
		if found {
			return
		}
		if l.accepts(&a) {
			found = true
			return
		}
		needs = append(needs, l.needs())
	})
	if found {
		return true, ""
	}
	return false, whyNoMatch + strings.Join(dedupe(needs), " or ")
}

// accepts reports whether a qualifies for this leaf.
func (r *Requirement) accepts(a *Approver) bool {
	switch {
	case len(r.Users) > 0:
		for _, u := range r.Users {
			if strings.EqualFold(u, a.Login) {
				return true
			}
		}
	case r.Team != "":
		for _, t := range a.Teams {
			if strings.EqualFold(t, r.Team) {
				return true
			}
		}
	case r.Role != "":
		return a.Permission.AtLeast(r.Role)
	case r.Codeowners != "":
		return a.Owns != nil && a.Owns(r.Codeowners)
	}
	return false
}

// Check counts votes towards req. Each login counts once per leaf (the
// first vote of a login decides its Approver facts); a login that both
// approved and rejected is treated as rejecting. One rejection from anyone
// eligible for any leaf rejects. A nil req is met by no votes at all.
func Check(req *Requirement, votes []Vote, selfApproval bool) Progress {
	p := Progress{Counted: map[string][]string{}, Ignored: map[string]string{}}
	if req == nil {
		p.Met = true
		return p
	}
	type voter struct {
		a        Approver
		approves bool
		rejects  bool
	}
	var order []string
	byLogin := map[string]*voter{}
	for _, v := range votes {
		key := strings.ToLower(strings.TrimSpace(v.Approver.Login))
		vt, seen := byLogin[key]
		if !seen {
			vt = &voter{a: v.Approver}
			byLogin[key] = vt
			order = append(order, key)
		}
		if v.Approve {
			vt.approves = true
		} else {
			vt.rejects = true
		}
	}
	counts := map[*Requirement]int{}
	for _, key := range order {
		vt := byLogin[key]
		name := vt.a.Login
		if ok, why := Eligible(req, vt.a, selfApproval); !ok {
			p.Ignored[name] = why
			continue
		}
		if vt.rejects {
			if !p.Rejected {
				p.Rejected, p.RejectedBy = true, name
			}
			continue
		}
		req.leaves(func(l *Requirement) {
			if l.accepts(&vt.a) {
				counts[l]++
				p.Counted[name] = append(p.Counted[name], l.String())
			}
		})
	}
	p.Met = !p.Rejected && req.met(counts)
	if !p.Met && !p.Rejected {
		p.Pending = req.pendingList(counts)
	}
	return p
}

func (r *Requirement) met(counts map[*Requirement]int) bool {
	switch {
	case len(r.AllOf) > 0:
		for _, c := range r.AllOf {
			if !c.met(counts) {
				return false
			}
		}
		return true
	case len(r.AnyOf) > 0:
		for _, c := range r.AnyOf {
			if c.met(counts) {
				return true
			}
		}
		return false
	}
	return counts[r] >= r.need()
}

// pendingList describes the unmet leaves under unmet nodes. For an any_of
// every alternative is listed: any one of them would do.
func (r *Requirement) pendingList(counts map[*Requirement]int) []string {
	if r.met(counts) {
		return nil
	}
	if r.isLeaf() {
		return []string{r.pending(counts[r])}
	}
	var out []string
	for _, c := range append(append([]*Requirement(nil), r.AllOf...), r.AnyOf...) {
		out = append(out, c.pendingList(counts)...)
	}
	return dedupe(out)
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
