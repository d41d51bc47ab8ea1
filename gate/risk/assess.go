// Package risk scores how dangerous a shell command is before stepgate lets it
// run. It reads the mvdan.cc/sh syntax tree rather than matching regular
// expressions on the text, so it sees through pipelines, lists, subshells,
// command substitution, wrappers such as sudo or xargs, and strings handed to
// bash -c, eval, ssh or kubectl exec, which it parses again.
//
// The result is a Level, a 0–100 score and one human-readable reason per
// finding. Assess never panics and keeps no global cache; it is safe for
// concurrent use.
package risk

import (
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/stepgate/stepgate/gate/shellcmd"
)

// Stable category ids. Policies, dashboards and tests rely on these strings.
const (
	CatDestructiveFS   = "destructive_filesystem"
	CatDiskDevice      = "disk_device"
	CatPermissions     = "permissions"
	CatPrivilege       = "privilege_escalation"
	CatRemoteCode      = "remote_code_execution"
	CatDynamicEval     = "dynamic_evaluation"
	CatVCSRewrite      = "vcs_history_rewrite"
	CatDatabase        = "database_destructive"
	CatInfraTeardown   = "infrastructure_teardown"
	CatCloud           = "cloud_resources"
	CatContainers      = "containers_cluster"
	CatPackageInstall  = "package_install"
	CatSecrets         = "secrets_exposure"
	CatExfiltration    = "exfiltration"
	CatSystemProcess   = "system_process_control"
	CatNetworkExposure = "network_exposure"
	CatOpaqueScript    = "opaque_script"
	CatUnparseable     = "unparseable"
	CatBackup          = "backup_destructive"
	CatCICD            = "ci_cd_platform"
	CatMessaging       = "messaging_destructive"
	CatGeneric         = "destructive_operation"
)

// Categories lists every category id Assess can report, for usage texts and docs.
func Categories() []string {
	return []string{
		CatDestructiveFS, CatDiskDevice, CatPermissions, CatPrivilege, CatRemoteCode,
		CatDynamicEval, CatVCSRewrite, CatDatabase, CatInfraTeardown, CatCloud,
		CatContainers, CatPackageInstall, CatSecrets, CatExfiltration, CatSystemProcess,
		CatNetworkExposure, CatOpaqueScript, CatUnparseable, CatBackup, CatCICD, CatMessaging, CatGeneric,
	}
}

// Finding is one reason a command is risky.
type Finding struct {
	Category string `json:"category"`
	Level    Level  `json:"level"`
	Reason   string `json:"reason"`
}

// Assessment is the verdict on one command.
type Assessment struct {
	Level      Level     `json:"level"`
	Score      int       `json:"score"`
	Categories []string  `json:"categories"`
	Reasons    []string  `json:"reasons"`
	Findings   []Finding `json:"findings"`
}

const (
	// maxDepth bounds how often strings are parsed again (bash -c inside
	// ssh inside eval …) so hostile nesting cannot recurse without end.
	maxDepth = 8
	// maxFindings keeps huge inputs from producing huge reports; past it
	// only findings that raise the level replace the weakest ones.
	maxFindings = 32
	// maxParses bounds how many strings one assessment parses.
	maxParses = 256
)

// parsers are reused because a syntax.Parser carries two 1 KiB buffers;
// allocating one per call dominated the cost of short commands.
var parsers = sync.Pool{New: func() any { return syntax.NewParser(syntax.Variant(syntax.LangBash)) }}

// Assess scores command. It never panics: a bug in a rule turns into a high
// "unparseable" finding rather than a crash of the gate.
func Assess(command string) (out Assessment) {
	defer func() {
		if r := recover(); r != nil {
			out = summarize([]Finding{{CatUnparseable, LevelHigh, "the command could not be analysed (internal error), so it is treated as high risk"}})
		}
	}()
	a := &assessor{reg: rulesRegistry}
	a.script(ghaExpressions(command), ctx{}, true)
	return summarize(a.findings)
}

// Normalize returns the canonical form of command used for remembered-
// command keys: shellcmd.Canonical, the one normaliser policy matching and
// remembered keys share (policy.CanonicalCommand is the same function).
func Normalize(command string) string { return shellcmd.Canonical(command) }

// assessor collects findings for one Assess call.
type assessor struct {
	reg      *registry
	findings []Finding
	// downloaded holds files fetched earlier in the same command
	// (curl -o x.sh), so a later "bash x.sh" is recognised as running
	// code from the network.
	downloaded []string
	budget     int
	arena      []arg
	vars       map[string]string // static values assigned earlier (r=rm; $r -rf /), see exec.go
}

// script parses src and assesses it. top marks the user's own command,
// where a parse error is reported as unparseable high risk.
func (a *assessor) script(src string, c ctx, top bool) bool {
	if c.depth > maxDepth {
		a.add(CatUnparseable, LevelHigh, "commands are nested more than 8 levels deep (bash -c, eval, ssh …), too deep to analyse")
		return false
	}
	// Every nested parse costs at most the length of its string, but
	// shell-outs inside code can fan out; cap the total work.
	if a.budget++; a.budget > maxParses {
		a.add(CatUnparseable, LevelHigh, "the command nests too many commands (bash -c, eval, code shell-outs) to analyse completely")
		return false
	}
	p := parsers.Get().(*syntax.Parser)
	f, err := p.Parse(strings.NewReader(src), "")
	parsers.Put(p)
	if err != nil {
		if top {
			a.add(CatUnparseable, LevelHigh, "the command is not valid shell syntax ("+shorten(err.Error(), 80)+"), so its effect cannot be assessed")
		}
		return false
	}
	a.stmts(f.Stmts, c)
	return true
}

// add records a finding, merging duplicates.
func (a *assessor) add(cat string, lvl Level, reason string) {
	for i := range a.findings {
		f := &a.findings[i]
		if f.Category == cat && f.Reason == reason {
			f.Level = max(f.Level, lvl)
			return
		}
	}
	if len(a.findings) < maxFindings {
		a.findings = append(a.findings, Finding{cat, lvl, reason})
		return
	}
	weakest := 0
	for i, f := range a.findings {
		if f.Level < a.findings[weakest].Level {
			weakest = i
		}
	}
	if a.findings[weakest].Level < lvl {
		a.findings[weakest] = Finding{cat, lvl, reason}
	}
}

var (
	levelBase = [...]int{0, 10, 35, 65, 90}
	levelTop  = [...]int{0, 24, 49, 79, 100}
	levelBump = [...]int{0, 1, 3, 5, 5}
)

// summarize turns findings into an Assessment. The score starts at the base
// of the highest level and rises with every further finding, but never
// leaves that level's band, so score and level always agree.
func summarize(fs []Finding) Assessment {
	out := Assessment{Categories: []string{}, Reasons: []string{}, Findings: []Finding{}}
	// Findings are ordered from the most to the least severe (stable, so
	// equal levels keep the order they were found in): reviewers read the
	// reason that matters first.
	slices.SortStableFunc(fs, func(x, y Finding) int { return int(y.Level) - int(x.Level) })
	for _, f := range fs {
		if f.Level == LevelNone {
			continue
		}
		out.Findings = append(out.Findings, f)
		out.Reasons = append(out.Reasons, f.Reason)
		if !slices.Contains(out.Categories, f.Category) {
			out.Categories = append(out.Categories, f.Category)
		}
	}
	slices.Sort(out.Categories)
	if len(out.Findings) == 0 {
		return out
	}
	top := out.Findings[0].Level
	score := levelBase[top]
	for _, f := range out.Findings[1:] {
		score += levelBump[f.Level]
	}
	out.Level = top
	out.Score = min(score, levelTop[top])
	return out
}

// ghaExpressions replaces GitHub Actions ${{ … }} expressions, which are
// not shell syntax, by a parameter expansion named after the expression's
// last identifier, so "${{ secrets.TOKEN }}" still reads as a variable
// called TOKEN that may be empty.
func ghaExpressions(s string) string {
	if !strings.Contains(s, "${{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString("${")
		b.WriteString(exprName(s[i+3 : i+j]))
		b.WriteString("}")
		s = s[i+j+2:]
	}
	b.WriteString(s)
	return b.String()
}

func exprName(expr string) string {
	expr = strings.TrimSpace(expr)
	for _, ctxName := range []string{"runner.", "github."} {
		if rest, ok := strings.CutPrefix(expr, ctxName); ok && exprName(rest) == rest {
			return strings.ToUpper(strings.TrimSuffix(ctxName, ".") + "_" + rest)
		}
	}
	if k := strings.LastIndexByte(expr, '.'); k >= 0 {
		expr = expr[k+1:]
	}
	ok := expr != ""
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			ok = false
			break
		}
	}
	if !ok {
		return "GHA_EXPRESSION"
	}
	return expr
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
