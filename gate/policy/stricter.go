package policy

// Stricter returns the stricter of two outcomes for the same command: a
// deny beats a requirement, which beats an allow. Two requirements combine
// as all_of both, named "a+b", and everything that comes with them takes
// the stricter side: the shorter timeout, remembering and learning only if
// both rules allow it (the shorter TTL, the higher count, the lower risk),
// self-approval only if both allow it.
//
// The App uses it where a value it cannot verify could pick the rule: an
// `environment` input on a job that declares no environment is evaluated
// with and without, and the stricter outcome applies (DESIGN.md invariant
// 10), so the input can only tighten.
func Stricter(a, b Match) Match {
	switch {
	case a.Decision == Deny:
		return a
	case b.Decision == Deny:
		return b
	case b.Decision != Require:
		return a // a requires (and wins) or both allow
	case a.Decision != Require:
		return b
	}
	if a.Rule == b.Rule && a.Require.String() == b.Require.String() {
		return a
	}
	m := Match{
		Rule:         a.Rule + "+" + b.Rule,
		Decision:     Require,
		Require:      allOf(a.Require, b.Require),
		Timeout:      minPositive(a.Timeout, b.Timeout),
		SelfApproval: a.SelfApproval && b.SelfApproval,
	}
	if a.Remember > 0 && b.Remember > 0 {
		m.Remember = min(a.Remember, b.Remember)
	}
	if a.Learn != nil && b.Learn != nil {
		m.Learn = &Learn{After: max(a.Learn.After, b.Learn.After), MaxRisk: min(a.Learn.MaxRisk, b.Learn.MaxRisk),
			TTL: minPositive(a.Learn.TTL, b.Learn.TTL)}
	}
	return m
}

// allOf requires both, flattening all_of nodes so the text reads
// "all of: (a) and (b) and (c)". Neither input is modified.
func allOf(a, b *Requirement) *Requirement {
	if a == nil {
		a = defaultRequirement()
	}
	if b == nil {
		b = defaultRequirement()
	}
	var kids []*Requirement
	for _, r := range []*Requirement{a, b} {
		if len(r.AllOf) > 0 {
			kids = append(kids, r.AllOf...)
		} else {
			kids = append(kids, r)
		}
	}
	return &Requirement{AllOf: kids}
}

func minPositive[T ~int64](a, b T) T {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}
