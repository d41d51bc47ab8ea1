package action

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

// finish sets the step outputs and appends the job summary. The runner's
// files may be missing (host mode outside Actions): then it skips them.
func (g *Gate) finish(o *outcome) {
	if o.status == "" {
		o.status = "error"
	}
	if o.waited == 0 {
		o.waited = g.opts.Now().Sub(o.started)
	}
	if g.opts.Getenv("GITHUB_OUTPUT") != "" {
		g.safely("setting outputs", func() {
			for _, kv := range outputs(o) {
				g.gh.SetOutput(kv[0], kv[1])
			}
		})
	}
	if g.opts.Getenv("GITHUB_STEP_SUMMARY") != "" {
		g.safely("writing the job summary", func() { g.gh.AddStepSummary(renderSummary(o)) })
	}
}

// safely turns githubactions' panics on unwritable runner files into a
// warning: the gate's decision and exit status matter more than its report.
func (g *Gate) safely(doing string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			g.log.warnf("%s: %v", doing, r)
		}
	}()
	f()
}

func outputs(o *outcome) [][2]string {
	exit := ""
	if o.ran {
		exit = strconv.Itoa(o.exitCode)
	}
	return [][2]string{
		{"status", string(o.status)},
		{"request-id", o.view.ID},
		{"approved-by", strings.Join(o.view.ApprovedBy, ",")},
		{"exit-code", exit},
		{"risk-level", riskLevel(o)},
	}
}

// riskLevel prefers the App's assessment (what reviewers saw).
func riskLevel(o *outcome) string {
	if o.view.Risk.Level != "" {
		return o.view.Risk.Level
	}
	return o.risk.Level
}

func riskScore(o *outcome) int {
	if o.view.Risk.Level != "" {
		return o.view.Risk.Score
	}
	return o.risk.Score
}

var statusIcon = map[gate.Status]string{
	gate.StatusAllowed: "✅", gate.StatusApproved: "✅", gate.StatusRejected: "⛔",
	gate.StatusExpired: "⌛", gate.StatusCancelled: "🚫", gate.StatusPending: "⏳",
}

// renderSummary is the job summary: the command in a code block it cannot
// close (redact.CodeBlock), then a two-column table of what a reviewer or
// auditor wants at a glance.
// Every value from outside is escaped for a table cell.
func renderSummary(o *outcome) string {
	var b strings.Builder
	icon := statusIcon[o.status]
	if icon == "" {
		icon = "❌"
	}
	fmt.Fprintf(&b, "### %s stepgate: %s\n\n", icon, o.status)
	b.WriteString(redact.CodeBlock(o.command))
	b.WriteString("\n\n| | |\n| --- | --- |\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "| **%s** | %s |\n", k, v)
		}
	}
	row("Decision", cell(decisionText(o)))
	if lvl := riskLevel(o); lvl != "" {
		row("Risk", cell(fmt.Sprintf("%s (%d/100)", lvl, riskScore(o))))
	}
	row("Rule", cell(o.view.Rule))
	row("Environment", cell(o.view.Environment))
	if o.status == gate.StatusRejected {
		row("Rejected by", cell(strings.Join(o.view.RejectedBy, ", ")))
	} else {
		row("Approved by", cell(strings.Join(o.view.ApprovedBy, ", ")))
	}
	row("Wait", cell(roundDur(o.waited)))
	if o.ran {
		row("Exit code", strconv.Itoa(o.exitCode))
		row("Duration", cell(roundDur(o.duration)))
	} else {
		row("Exit code", "not run")
	}
	req := cell(o.view.ID)
	if o.view.CheckRunURL != "" && req != "" {
		req += fmt.Sprintf(" ([check run](%s))", linkTarget(o.view.CheckRunURL))
	}
	row("Request", req)
	return b.String()
}

func decisionText(o *outcome) string {
	switch {
	case o.failReason != "" && !o.ran:
		return string(o.status) + ": " + o.failReason
	case o.view.Reason != "":
		return string(o.status) + ": " + o.view.Reason
	}
	return string(o.status)
}

func roundDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// cell makes a value safe inside a markdown table cell: one line, no cell
// separators, no HTML or markdown that could change the table.
func cell(s string) string {
	r := strings.NewReplacer(
		"\r\n", " ", "\n", " ", "\r", " ",
		"&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "&#124;",
		"`", "&#96;", "*", "&#42;", "_", "&#95;", "[", "&#91;", "]", "&#93;", "\\", "&#92;",
		"!", "&#33;", "~", "&#126;", "#", "&#35;",
	)
	return r.Replace(redact.Visible(s))
}

// linkTarget keeps only http(s) URLs without characters that could end the
// link early.
func linkTarget(u string) string {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return "#"
	}
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "|", "%7C", "[", "%5B", "]", "%5D", "\n", "").Replace(u)
}
