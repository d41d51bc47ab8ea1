// Package render writes the markdown the App shows on GitHub: check run
// titles, summaries and texts, PR/commit comments and short replies.
//
// Everything that comes from a workflow or a commenter (the command, the
// reason, risk findings that quote the command, rejection comments) is
// redacted and either put in a code block it cannot break out of or escaped,
// so no markdown, HTML or @mention in it takes effect (security invariant 7).
// Only names the App itself trusts (logins and teams from the policy and
// CODEOWNERS, after a character check) are rendered as live @mentions.
package render

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

// Gate is everything shown about one request.
type Gate struct {
	Request     *gate.Request
	Requirement string   // human text of what is required
	Pending     []string // what is still missing, while pending
	Users       []string // logins that can approve (mentioned)
	Teams       []string // org/slug teams that can approve (mentioned)
	Owners      []string // CODEOWNERS owners of the routed paths (mentioned)
	Roles       []string // minimum permissions that qualify ("write")
	// Extra are approvers that only the workflow's `approvers` input names
	// (untrusted: anyone who can edit a workflow writes it). They are
	// shown, never @-mentioned, so the input cannot ping whole teams.
	Extra    []string
	Remember bool   // the rule lets reviewers approve and remember
	Note     string // a line about the latest event, e.g. why a click did not count
	WebURL   string // GitHub's web root (https://github.com): links to executed files
}

// Output is a check run's output.
type Output struct {
	Title, Summary, Text string
}

// maxOutput is GitHub's limit for a check run summary or text (characters).
const maxOutput = 65535

// CheckRun renders the check run of a request.
func CheckRun(g Gate) Output {
	r := g.Request
	var sum strings.Builder
	sum.WriteString(statusLine(r) + "\n\n")
	sum.WriteString(runLine(r))
	sum.WriteString(commandSection(r))
	sum.WriteString(agentSection(r))
	sum.WriteString(bindingSection(g))
	sum.WriteString(riskSection(r))
	sum.WriteString(ruleSection(g))
	if r.Status == gate.StatusPending {
		sum.WriteString(howSection(g, true))
	} else {
		sum.WriteString(decisionSection(r))
	}
	if g.Note != "" {
		sum.WriteString("\n> " + Escape(g.Note) + "\n")
	}
	return Output{Title: Title(r), Summary: clip(sum.String()), Text: clip(detailsText(r))}
}

// Comment renders the PR or commit comment that asks for approval, and its
// later edits once the request is decided.
func Comment(g Gate) string {
	r := g.Request
	var b strings.Builder
	b.WriteString("### stepgate: " + statusLine(r) + "\n\n")
	b.WriteString(runLine(r))
	b.WriteString(commandSection(r))
	b.WriteString(agentSection(r))
	b.WriteString(bindingSection(g))
	b.WriteString(riskSection(r))
	b.WriteString(ruleSection(g))
	if r.Status == gate.StatusPending {
		b.WriteString(howSection(g, false))
	} else {
		b.WriteString(decisionSection(r))
	}
	b.WriteString("\n<sub>request `" + safeID(r.ID) + "` · " + Escape(r.Repo) + " run " + fmt.Sprint(r.RunID) + " attempt " + fmt.Sprint(r.RunAttempt) + "</sub>\n")
	return clip(b.String())
}

// Reply renders a short answer to a comment command; text is escaped.
func Reply(login, text string) string {
	prefix := ""
	if validLogin(login) {
		prefix = "@" + login + " "
	}
	return prefix + Escape(text)
}

// List renders a reply listing pending requests, e.g. when a command names
// no id and several are pending.
func List(intro string, reqs []*gate.Request) string {
	var b strings.Builder
	b.WriteString(Escape(intro) + "\n\n")
	for _, r := range reqs {
		fmt.Fprintf(&b, "- `%s` %s (%s risk, rule %s)\n", safeID(r.ID), redact.InlineCode(redact.Shown(r.Command), 80),
			Escape(r.RiskLevel), Escape(r.Rule))
	}
	return b.String()
}

// Title is the check run title: short and plain.
func Title(r *gate.Request) string {
	switch r.Status {
	case gate.StatusPending:
		return fmt.Sprintf("Approval needed (%s risk)", Plain(r.RiskLevel))
	case gate.StatusApproved:
		return "Approved by " + Plain(strings.Join(r.DecidedBy, ", "))
	case gate.StatusRejected:
		return "Rejected"
	case gate.StatusExpired:
		return "Expired without a decision"
	case gate.StatusCancelled:
		return "Cancelled"
	case gate.StatusAllowed:
		return "Allowed"
	}
	return "stepgate"
}

func statusLine(r *gate.Request) string {
	env := ""
	if r.Environment != "" {
		env = " in " + Escape(r.Environment)
	}
	switch r.Status {
	case gate.StatusPending:
		return "**Approval needed** for a command" + env + " (expires " + r.ExpiresAt.UTC().Format(time.RFC3339) + ")"
	case gate.StatusApproved:
		return "**Approved**" + env
	case gate.StatusRejected:
		return "**Rejected**" + env
	case gate.StatusExpired:
		return "**Expired** without a decision" + env
	case gate.StatusCancelled:
		return "**Cancelled**" + env
	case gate.StatusAllowed:
		return "**Allowed**" + env
	}
	return Escape(string(r.Status))
}

// runLine says whose run asks: the workflow, the ref and the actor from
// the verified token, the pull request's author from GitHub, and where the
// environment came from. None of them is mentioned (pinged).
func runLine(r *gate.Request) string {
	var parts []string
	where := ""
	if r.Workflow != "" {
		where = "workflow " + redact.InlineCode(redact.String(r.Workflow), 100)
	}
	if r.Ref != "" {
		where = strings.TrimSpace(where + " on " + redact.InlineCode(redact.String(r.Ref), 100))
	}
	if where != "" {
		parts = append(parts, where)
	}
	if r.Actor != "" {
		parts = append(parts, "started by "+plainLogin(r.Actor))
	}
	if r.PRNumber > 0 && r.PRAuthor != "" {
		parts = append(parts, fmt.Sprintf("pull request #%d by %s", r.PRNumber, plainLogin(r.PRAuthor)))
	}
	if len(parts) == 0 {
		return ""
	}
	line := "**Run:** " + strings.Join(parts, ", ") + "\n"
	if r.EnvironmentSource == "input" {
		line += "**Environment:** " + redact.InlineCode(redact.String(r.Environment), 100) +
			" from the action input; the job declares no environment, so it could only tighten what the policy requires\n"
	}
	return line + "\n"
}

func commandSection(r *gate.Request) string {
	var b strings.Builder
	b.WriteString(redact.CodeBlock(redact.Shown(r.Command)) + "\n\n")
	if r.Reason != "" {
		b.WriteString("Reason given: " + redact.InlineCode(redact.String(r.Reason), 200) + "\n\n")
	}
	return b.String()
}

func riskSection(r *gate.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Risk:** %s (%d/100)\n", Escape(r.RiskLevel), r.RiskScore)
	for _, reason := range r.RiskReasons {
		b.WriteString("- " + Escape(redact.String(reason)) + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func ruleSection(g Gate) string {
	s := "**Rule:** " + redact.InlineCode(g.Request.Rule, 100) + "\n"
	if g.Requirement != "" {
		s += "**Requires:** " + Escape(g.Requirement) + "\n"
	}
	if g.Request.Status == gate.StatusPending && len(g.Pending) > 0 {
		s += "**Still needed:** " + Escape(strings.Join(g.Pending, "; ")) + "\n"
	}
	if votes := approvals(g.Request.Votes); votes != "" {
		s += "**Votes:**\n" + votes
	}
	return s + "\n"
}

func howSection(g Gate, checkRun bool) string {
	var b strings.Builder
	if who := whoCanApprove(g); who != "" {
		b.WriteString("**Who can approve:** " + who + "\n\n")
	}
	id := safeID(g.Request.ID)
	b.WriteString("**How:** ")
	if checkRun {
		b.WriteString("click **Approve** or **Reject** above")
		if g.Remember {
			b.WriteString(" (or **Approve & remember** to let this exact command pass next time)")
		}
		b.WriteString(", or comment ")
	} else {
		b.WriteString("use the buttons on the check run, or comment ")
	}
	fmt.Fprintf(&b, "`/stepgate approve %s`", id)
	if g.Remember {
		fmt.Fprintf(&b, " (`/stepgate approve %s remember`)", id)
	}
	fmt.Fprintf(&b, " or `/stepgate reject %s <reason>`.\n", id)
	return b.String()
}

func whoCanApprove(g Gate) string {
	var parts []string
	seen := map[string]bool{}
	add := func(s string) {
		if k := strings.ToLower(s); !seen[k] {
			seen[k] = true
			parts = append(parts, s)
		}
	}
	for _, u := range g.Users {
		if validLogin(u) {
			add("@" + u)
		}
	}
	for _, t := range g.Teams {
		if validTeam(t) {
			add("@" + t)
		}
	}
	for _, o := range g.Owners {
		o = strings.TrimPrefix(o, "@")
		if validLogin(o) || validTeam(o) {
			add("@" + o)
		}
	}
	for _, r := range g.Roles {
		add("anyone with " + Escape(r) + " permission or higher")
	}
	for _, e := range g.Extra {
		add(redact.InlineCode(strings.TrimPrefix(e, "@"), 100) + " (asked by the workflow, not notified)")
	}
	return strings.Join(parts, ", ")
}

func decisionSection(r *gate.Request) string {
	var b strings.Builder
	if r.FinalReason != "" {
		b.WriteString("**Why:** " + Escape(redact.String(r.FinalReason)) + "\n")
	}
	if r.Remembered {
		b.WriteString("This exact command is now remembered for " + Escape(r.Environment) + ".\n")
	}
	if !r.DecidedAt.IsZero() {
		b.WriteString("Decided at " + r.DecidedAt.UTC().Format(time.RFC3339) + ".\n")
	}
	return b.String()
}

func approvals(votes []gate.Vote) string {
	var b strings.Builder
	for _, v := range votes {
		verb := "approved"
		if !v.Approve {
			verb = "rejected"
		}
		fmt.Fprintf(&b, "- %s %s via %s", plainLogin(v.Login), verb, Escape(v.Channel))
		if len(v.Satisfied) > 0 {
			b.WriteString(" (counts toward: " + Escape(strings.Join(v.Satisfied, "; ")) + ")")
		}
		if v.Comment != "" {
			b.WriteString(": " + redact.InlineCode(redact.String(v.Comment), 200))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Table is a two-column details table. Rows with an empty value are left
// out. Keys are trusted text; values are escaped by the helpers below, for
// a table cell (a '|' in a value would otherwise end its cell).
type Table struct{ b strings.Builder }

// Row adds a row whose value is already markdown for a cell (TextCell,
// CodeCell or trusted text without '|' or newlines).
func (t *Table) Row(key, cell string) {
	if cell == "" {
		return
	}
	if t.b.Len() == 0 {
		t.b.WriteString("| | |\n|---|---|\n")
	}
	t.b.WriteString("| " + key + " | " + cell + " |\n")
}

// String is the table's markdown ("" without rows).
func (t *Table) String() string { return t.b.String() }

// CodeCell renders untrusted raw text as inline code inside a table cell,
// redacted, on one line, cut to maxRunes. GFM splits table cells on '|'
// even inside code spans unless it is escaped; the backslash is removed
// by the table parser, so the code shows the '|' as written.
func CodeCell(raw string, maxRunes int) string {
	if raw == "" {
		return ""
	}
	return strings.ReplaceAll(redact.InlineCode(redact.String(raw), maxRunes), "|", "\\|")
}

// TextCell renders untrusted text as escaped plain text inside a cell.
func TextCell(raw string) string { return Escape(raw) }

func detailsText(r *gate.Request) string {
	var t Table
	t.Row("Request", "`"+safeID(r.ID)+"`")
	t.Row("Repository", TextCell(r.Repo))
	t.Row("Workflow", CodeCell(r.Workflow, 100))
	if r.Job != "" || r.Step != "" {
		t.Row("Job / step", CodeCell(r.Job+" / "+r.Step, 100))
	}
	t.Row("Run", fmt.Sprintf("%d (attempt %d)", r.RunID, r.RunAttempt))
	t.Row("Actor", CodeCell(r.Actor, 60))
	t.Row("Ref", CodeCell(r.Ref, 100))
	if r.PRNumber > 0 {
		t.Row("Pull request", fmt.Sprintf("#%d by %s", r.PRNumber, CodeCell(r.PRAuthor, 60)))
	}
	if env := CodeCell(r.Environment, 100); env != "" {
		t.Row("Environment", env+map[string]string{"token": " (the job's environment)", "input": " (action input; the job declares none)"}[r.EnvironmentSource])
	}
	t.Row("Reusable workflow", CodeCell(r.JobWorkflowRef, 200))
	t.Row("Shell", CodeCell(r.Shell, 100))
	t.Row("Working directory", CodeCell(r.WorkingDirectory, 100))
	t.Row("Command SHA-256", "`"+safeHex(r.CommandSHA256)+"`")
	agentRows(&t, r)
	return t.String()
}

var (
	loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	teamRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	idRE    = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
	hexRE   = regexp.MustCompile(`^[0-9a-f]{1,128}$`)
)

func validLogin(s string) bool { return loginRE.MatchString(s) }
func validTeam(s string) bool  { return teamRE.MatchString(s) }

func safeID(s string) string {
	if idRE.MatchString(s) {
		return s
	}
	return "invalid-id"
}

func safeHex(s string) string {
	if hexRE.MatchString(s) {
		return s
	}
	return "?"
}

// plainLogin shows a login without pinging it: the run's actor and voters
// are informed by GitHub already.
func plainLogin(s string) string {
	if s == "" {
		return ""
	}
	return redact.InlineCode(s, 60)
}

// Plain strips anything but a conservative character set, for titles.
func Plain(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" ,.-_[]/", r):
			return r
		}
		return -1
	}, s)
}

// Escape neutralises markdown and HTML in untrusted text shown outside a
// code block: HTML-special characters become entities, markdown punctuation
// is backslash-escaped, @ cannot start a mention and hidden characters are
// made visible.
func Escape(s string) string {
	s = redact.Visible(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '@':
			b.WriteString("@\u200b") // a zero-width space keeps GitHub from linking a mention
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '.', '!', '|', '~', ':':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clip(s string) string {
	if len(s) <= maxOutput {
		return s
	}
	cut := maxOutput - 40
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "\n\n…(truncated)\n"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
