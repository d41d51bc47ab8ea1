package risk

import (
	"strings"
)

// ruleFunc rates one command, after wrappers (sudo, env, xargs …) have been
// peeled off: name is the command's base name, args its arguments.
type ruleFunc func(a *assessor, name string, args []arg, c ctx)

// family is one tool family's entry in the registry: the command names it
// covers and the rule that rates them. Every rules_*.go file contributes its
// families through one function, so adding a CLI touches one file.
type family struct {
	names []string
	rate  ruleFunc
}

// registry finds the rule for a command name. It is built once from every
// file's families and only read afterwards, so it is safe for concurrent use.
type registry struct {
	byName map[string]ruleFunc
	// prefixed covers families named by a prefix (mkfs.ext4, mkfs.xfs …).
	prefixed []prefixRule
}

type prefixRule struct {
	prefix string
	rate   ruleFunc
}

// rulesRegistry is the registry every assessment uses. Rules reach it
// through assessor.reg, which also keeps Go's initialisation order simple.
var rulesRegistry = newRegistry(
	fsFamilies(), interpFamilies(), sysFamilies(), netFamilies(), vcsFamilies(), dbFamilies(),
	infraFamilies(), kubeFamilies(), cloudFamilies(), containerFamilies(), pkgFamilies(), secretFamilies(),
	miscFamilies(), backupFamilies(), cicdFamilies(), brokerFamilies(), platformFamilies(), dataFamilies(), storageFamilies(),
)

func newRegistry(groups ...[]family) *registry {
	r := &registry{byName: map[string]ruleFunc{}}
	for _, g := range groups {
		for _, f := range g {
			for _, n := range f.names {
				if p, ok := strings.CutSuffix(n, "*"); ok {
					r.prefixed = append(r.prefixed, prefixRule{p, f.rate})
					continue
				}
				if _, dup := r.byName[n]; dup {
					panic("risk: two rule families claim the command " + n)
				}
				r.byName[n] = f.rate
			}
		}
	}
	return r
}

// lookup returns the rule for name. Version suffixes are ignored, so
// python3.12 finds python's rule and gpg2 finds gpg's.
func (r *registry) lookup(name string) ruleFunc {
	if f, ok := r.byName[name]; ok {
		return f
	}
	for _, p := range r.prefixed {
		if strings.HasPrefix(name, p.prefix) {
			return p.rate
		}
	}
	if t := strings.TrimRight(name, "0123456789."); t != name && t != "" {
		if f, ok := r.byName[t]; ok {
			return f
		}
	}
	return nil
}

// rules applies the rule registered for name and reports whether one
// exists. Commands without a rule go through the generic check for
// destructive verbs and forcing flags.
func (a *assessor) rules(name string, args []arg, c ctx) bool {
	if f := a.reg.lookup(name); f != nil {
		f(a, name, args, c)
		return true
	}
	a.generic(name, args)
	return false
}

// subRule is one row of a CLI's rule table: when the command's leading
// positional words match words (and, if flags is set, one of those flags is
// present), the command gets a finding of category cat and level lvl.
type subRule struct {
	words string   // space-separated; "a|b" alternatives, "*" any word, "del*" a prefix
	flags []string // at least one must be present; "" words with flags matches any subcommand
	cat   string
	lvl   Level
	why   string
}

// compiledRule is a subRule with its words split once.
type compiledRule struct {
	subRule
	words [][]string
}

// table builds a rule from a CLI's subcommand table. valued lists the
// global options that take a separate value, so their values are not read
// as subcommands. The first matching row wins; when none matches, the
// generic check for destructive verbs and forcing flags applies.
func table(valued []string, rows ...subRule) ruleFunc {
	compiled := make([]compiledRule, len(rows))
	for i, r := range rows {
		compiled[i].subRule = r
		for _, w := range strings.Fields(r.words) {
			compiled[i].words = append(compiled[i].words, strings.Split(w, "|"))
		}
	}
	return func(a *assessor, name string, args []arg, c ctx) {
		p := positionals(args, valued...)
		for _, r := range compiled {
			if !wordsMatch(r.words, p) || len(r.flags) > 0 && !hasAnyFlag(args, r.flags) {
				continue
			}
			if r.lvl > LevelNone {
				what := strings.TrimSpace(strings.Join(firstN(p, len(r.words)), " ") + flagNote(args, r.flags))
				a.add(r.cat, r.lvl, "`"+strings.TrimSpace(name+" "+what)+"` "+r.why)
			}
			return
		}
		a.generic(name, args)
	}
}

func wordsMatch(want [][]string, p []arg) bool {
	if len(p) < len(want) {
		return false
	}
	for i, alts := range want {
		got := strings.ToLower(p[i].s)
		ok := false
		for _, w := range alts {
			if w == "*" || w == got || strings.HasSuffix(w, "*") && strings.HasPrefix(got, w[:len(w)-1]) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// hasAnyFlag reports whether one of flags is present; a one-letter short
// flag also matches inside a cluster (-rf holds -f).
func hasAnyFlag(args []arg, flags []string) bool {
	for _, f := range flags {
		if len(f) == 2 && f[0] == '-' && f[1] != '-' && hasShort(args, f[1]) || hasFlag(args, f) {
			return true
		}
		if strings.HasSuffix(f, "*") && anyArg(args, func(x arg) bool { return strings.HasPrefix(x.s, f[:len(f)-1]) }) {
			return true
		}
	}
	return false
}

// flagNote names the flag that made a row match, for the reason text.
func flagNote(args []arg, flags []string) string {
	for _, f := range flags {
		if hasAnyFlag(args, []string{f}) {
			return " " + strings.TrimSuffix(f, "*")
		}
	}
	return ""
}

// adapt turns rule methods that do not need every parameter into ruleFuncs.
func onArgs(f func(a *assessor, args []arg)) ruleFunc {
	return func(a *assessor, _ string, args []arg, _ ctx) { f(a, args) }
}

func onNameArgs(f func(a *assessor, name string, args []arg)) ruleFunc {
	return func(a *assessor, name string, args []arg, _ ctx) { f(a, name, args) }
}

func onArgsCtx(f func(a *assessor, args []arg, c ctx)) ruleFunc {
	return func(a *assessor, _ string, args []arg, c ctx) { f(a, args, c) }
}

// noRule registers commands that are known and harmless whatever their
// arguments, so the generic check does not read their data as verbs.
func noRule(*assessor, string, []arg, ctx) {}
