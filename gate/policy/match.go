package policy

import (
	"strings"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

// mode is how a rule's command patterns are applied to the tree.
type mode uint8

const (
	// modeAllow: every command must match and nothing it needs may be
	// decided at run time.
	modeAllow mode = iota
	// modeDeny: any command matching is enough; words decided at run time
	// may be anything; extra words are ignored; case is ignored.
	modeDeny
	// modeRequire: any command matching is enough; words decided at run
	// time may be anything; the pattern's words must line up.
	modeRequire
)

// cmdView is one command of the tree, prepared once per Evaluate.
type cmdView struct {
	c      *shellcmd.Command
	parsed shellcmd.Parsed // wrapped words as operands
	own    shellcmd.Parsed // a wrapper's own words only
	lower  *shellcmd.Parsed
}

func (v *cmdView) lowered() *shellcmd.Parsed {
	if v.lower == nil {
		l := v.parsed
		l.Name = lowerWord(l.Name)
		l.Pos = make([]shellcmd.Word, len(v.parsed.Pos))
		for i, w := range v.parsed.Pos {
			l.Pos[i] = lowerWord(w)
		}
		l.Opts = make([]shellcmd.Opt, len(v.parsed.Opts))
		for i, o := range v.parsed.Opts {
			l.Opts[i] = o
			if o.Value != nil {
				w := lowerWord(*o.Value)
				l.Opts[i].Value = &w
			}
		}
		v.lower = &l
	}
	return v.lower
}

// lowerWord is a word as deny rules read it: lower case, runs of blanks as
// one space (DROP  DATABASE, DROP\tDATABASE are drop database).
func lowerWord(w shellcmd.Word) shellcmd.Word {
	w.Text, w.Prefix = foldSpace(strings.ToLower(w.Text)), foldSpace(strings.ToLower(w.Prefix))
	return w
}

func foldSpace(s string) string {
	if !strings.ContainsAny(s, " \t\n\r\v\f") {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// matchAny reports whether some command of the tree matches one of pats
// (deny, require), and which.
func matchAny(pats []*cmdPattern, views []cmdView, m mode) (int, *cmdPattern) {
	for i := range views {
		for _, p := range pats {
			if m == modeDeny && p.noDeny {
				continue
			}
			if p.full.matches(&views[i], m, false) {
				return i, p
			}
		}
	}
	return -1, nil
}

// matchAll reports whether every command of the tree is allowed by pats.
// It returns the first command no pattern allows (-1 if all are). A
// wrapper that a pattern names with its whole argv (allow `docker run *`,
// `ssh deploy@bastion *`, `sudo *`) covers what it runs.
func matchAll(pats []*cmdPattern, views []cmdView) int {
	var buf [64]bool
	covered := buf[:0]
	if len(views) > len(buf) {
		covered = make([]bool, 0, len(views))
	}
	for i := range views {
		v := &views[i]
		covered = append(covered, false)
		if p := v.c.Parent; p >= 0 && p < i && covered[p] {
			covered[i] = true
			continue
		}
		if v.c.Wrapper && v.c.Transparent() {
			continue
		}
		ok := false
		for _, p := range pats {
			if p.noAllow {
				continue
			}
			if v.c.Wrapper {
				if p.full.matches(v, modeAllow, false) && !p.full.any {
					ok, covered[i] = true, true
					break
				}
				for k := range p.wraps {
					if p.wraps[k].matches(v, modeAllow, true) {
						ok = true
						break
					}
				}
			} else if p.leaf.matches(v, modeAllow, false) {
				ok = true
			}
			if ok {
				break
			}
		}
		if !ok {
			return i
		}
	}
	return -1
}

// matches applies one pattern command to one command.
func (pc *patCmd) matches(v *cmdView, m mode, own bool) bool {
	p := &v.parsed
	if own {
		p = &v.own
	}
	if m == modeDeny {
		p = v.lowered()
	}
	if m == modeAllow && len(v.c.Writes) > 0 {
		return false // output redirected to a file: not what an allow rule saw
	}
	if pc.any {
		return m != modeAllow || !p.Name.Dynamic
	}
	if !pc.nameMatches(p.Name, m) {
		return false
	}
	if p.Name.Dynamic && p.Name.Split {
		return true // deny, require: code decided at run time may be this command
	}
	if !pc.optsMatch(p, v.c.Name().Text, m) {
		return false
	}
	return seqMatch(pc.pos, p.Pos, p.MaybeValue, m, shellcmd.HasSensitiveOpts(v.c.Name().Text), shellcmd.SensitiveOperand(v.c.Name().Text, p.Pos))
}

func (pc *patCmd) nameMatches(n shellcmd.Word, m mode) bool {
	g := pc.name.g
	if m == modeDeny {
		g = pc.name.gl
	}
	if n.Dynamic {
		return m != modeAllow && g.canStartWith(n.Prefix)
	}
	if g.match(n.Text, nil) {
		return true
	}
	// ./bin/migrate in a deny or require rule also catches the same file
	// run by its absolute path.
	if m != modeAllow && g.exact && strings.HasPrefix(g.prefix, "./") && strings.HasPrefix(n.Text, "/") {
		return strings.HasSuffix(n.Text, g.prefix[1:])
	}
	// dropdb in a deny or require rule also catches /usr/lib/postgresql/16/bin/dropdb
	// and ./vendor/bin/dropdb.
	if m != modeAllow && !strings.Contains(pc.name.src, "/") && strings.Contains(n.Text, "/") {
		if i := strings.LastIndexByte(n.Text, '/'); i >= 0 {
			return g.match(n.Text[i+1:], nil)
		}
	}
	return false
}

func (pc *patCmd) optsMatch(p *shellcmd.Parsed, tool string, m mode) bool {
	// Every option the pattern names must be there (deny and require: or
	// may be there, through a word decided at run time).
	for i := range pc.opts {
		po := &pc.opts[i]
		found := false
		for k := range p.Opts {
			if po.matches(&p.Opts[k], m) {
				found = true
				break
			}
		}
		if !found && !(m != modeAllow && p.MaybeOpt) {
			return false
		}
	}
	if m != modeAllow {
		return true
	}
	// Allow: every option of the command must be one the pattern names,
	// or one a '*' stands for.
	for k := range p.Opts {
		o := &p.Opts[k]
		named := false
		for i := range pc.opts {
			if pc.opts[i].matches(o, m) {
				named = true
				break
			}
		}
		switch {
		case named, pc.dstar:
		case pc.star && !shellcmd.SensitiveOpt(tool, *o) && (o.Value == nil || !o.Value.Split):
		default:
			return false
		}
	}
	return true
}

func (po *patOpt) matches(o *shellcmd.Opt, m mode) bool {
	switch {
	case po.short != "" && o.Short != "":
		if po.short != o.Short {
			return false
		}
	case po.longG != nil:
		if !po.longG.match(o.Long, nil) {
			return false
		}
	case po.long != "":
		if po.long != o.Long {
			return false
		}
	default:
		return false
	}
	if po.value == nil {
		return true
	}
	if o.Value == nil {
		return false
	}
	return wordMatches(po.value, *o.Value, m)
}

// wordMatches matches one pattern word against one command word.
func wordMatches(pw *patWord, w shellcmd.Word, m mode) bool {
	switch pw.kind {
	case wDStar:
		return true
	case wStar:
		return m != modeAllow || !w.Split
	}
	g := pw.g
	if m == modeDeny {
		g = pw.gl
	}
	if w.Dynamic {
		return m != modeAllow && g.canStartWith(w.Prefix)
	}
	return g.match(w.Text, nil)
}

// absorbs reports whether a '*' or '**' may stand for command word w.
// sensitive: the tool has options a '*' must not stand for.
func absorbs(pw *patWord, w shellcmd.Word, m mode, sensitive bool) bool {
	if pw.kind == wDStar || m != modeAllow {
		return true
	}
	// '*' in an allow rule: a word decided at run time is fine only if it
	// stays one word, and cannot be an option where options matter.
	return !w.Dynamic || !w.Split && (!sensitive || !w.MayBeOption())
}

// seqMatch matches pattern operands against command operands.
//
// Allow patterns must account for every word, in order. Require patterns
// must line up from the first operand; more operands may follow. Deny
// patterns need their operands in order but anywhere (rm -rf ./x / is
// caught by rm -rf /*; kubectl -e prod delete namespace x by kubectl
// delete namespace *). In deny and require mode an unquoted expansion may
// stand for any number of words, none included; in deny mode only before
// any operand was skipped (kubectl get pods $(date) is not a delete).
// secretAt is the index of an operand a '*' must not stand for (kubectl get
// secret), or -1.
func seqMatch(pat []patWord, ws []shellcmd.Word, maybeValue []bool, m mode, sensitive bool, secretAt int) bool {
	P, W := len(pat), len(ws)
	if m == modeAllow && P == 0 {
		return W == 0
	}
	s := seqMatcher{pat: pat, ws: ws, maybeValue: maybeValue, m: m, sensitive: sensitive, secretAt: secretAt}
	var buf [512]uint8
	if n := (P + 1) * (W + 1) * 2; n <= len(buf) {
		s.memo = buf[:n]
	} else {
		s.memo = make([]uint8, n)
	}
	return s.match(0, 0, false)
}

// seqMatcher is one seqMatch: its arguments and the memo of answers.
type seqMatcher struct {
	pat        []patWord
	ws         []shellcmd.Word
	maybeValue []bool
	m          mode
	sensitive  bool
	secretAt   int
	// memo[(i*(W+1)+j)*2+skipped]: 0 unknown, 1 false, 2 true
	memo []uint8
}

// match reports whether pat[i:] matches ws[j:]; skipped says a command
// operand was already skipped (deny mode).
func (s *seqMatcher) match(i, j int, skipped bool) bool {
	k := (i*(len(s.ws)+1) + j) * 2
	if skipped {
		k++
	}
	if s.memo[k] != 0 {
		return s.memo[k] == 2
	}
	res := s.step(i, j, skipped)
	s.memo[k] = 1
	if res {
		s.memo[k] = 2
	}
	return res
}

// step is match without the memo: the ways pattern word i can meet
// command word j.
func (s *seqMatcher) step(i, j int, skipped bool) bool {
	W := len(s.ws)
	if i == len(s.pat) {
		return j == W || s.m != modeAllow
	}
	if s.m == modeDeny && j < W && s.match(i, j+1, skipped || !s.ws[j].Dynamic && !s.maybeValue[j]) {
		return true // deny: skip this command word
	}
	pw := &s.pat[i]
	if pw.kind != wGlob {
		return s.stars(pw, i, j, skipped)
	}
	if j == W {
		return false
	}
	w := s.ws[j]
	if s.m != modeAllow && w.Dynamic && w.Split && !(s.m == modeDeny && skipped) {
		// May expand to nothing, or to this pattern word and more.
		if s.match(i, j+1, skipped) || s.match(i+1, j, skipped) {
			return true
		}
	}
	return wordMatches(pw, w, s.m) && s.match(i+1, j+1, skipped)
}

// stars matches a '*' or '**' pattern word: it stands for no more command
// words, or absorbs word j and goes on.
func (s *seqMatcher) stars(pw *patWord, i, j int, skipped bool) bool {
	if s.match(i+1, j, skipped) {
		return true
	}
	if s.m == modeAllow && pw.kind == wStar && j == s.secretAt {
		return false
	}
	return j < len(s.ws) && absorbs(pw, s.ws[j], s.m, s.sensitive) && s.match(i, j+1, skipped)
}
