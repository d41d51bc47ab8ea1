package policy

import (
	"fmt"
	"strings"
)

// PendingFromVotes works out what req still needs from the requirement
// leaves the approving votes counted toward: satisfied holds, for each
// approval, the leaf texts (Requirement.String) the App recorded when it
// checked that vote. It needs no GitHub call, so reading a pending request
// stays cheap. Each missing piece reads "N more: <leaf>"; for an unmet
// any_of every alternative is listed, any one of them would do. A nil
// requirement needs nothing.
func PendingFromVotes(req *Requirement, satisfied [][]string) []string {
	if req == nil {
		return nil
	}
	counts := map[string]int{}
	for _, leaves := range satisfied {
		for _, leaf := range leaves {
			counts[leaf]++
		}
	}
	var out []string
	req.pendingFrom(counts, &out)
	return DedupeFold(out)
}

// pendingFrom reports whether r is met by counts, appending to out what
// its unmet leaves still need. An any_of that turns out met drops what
// its earlier alternatives appended.
func (r *Requirement) pendingFrom(counts map[string]int, out *[]string) bool {
	switch {
	case len(r.AllOf) > 0:
		ok := true
		for _, c := range r.AllOf {
			ok = c.pendingFrom(counts, out) && ok
		}
		return ok
	case len(r.AnyOf) > 0:
		mark := len(*out)
		for _, c := range r.AnyOf {
			if c.pendingFrom(counts, out) {
				*out = (*out)[:mark]
				return true
			}
		}
		return false
	}
	need, have := r.need(), counts[r.String()]
	if have >= need {
		return true
	}
	*out = append(*out, fmt.Sprintf("%d more: %s", need-have, r.String()))
	return false
}

// DedupeFold drops later entries of list that equal an earlier one up to
// case (logins, team slugs and paths GitHub compares case-insensitively),
// keeping the first spelling and the order.
func DedupeFold(list []string) []string {
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
