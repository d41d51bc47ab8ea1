package action

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

// logger writes the gate's progress. On a runner (GITHUB_ACTIONS=true) it
// uses workflow commands (::error::, ::add-mask::, ::group::); elsewhere the
// same lines in plain text.
type logger struct {
	gh      *githubactions.Action
	w       io.Writer
	actions bool
	inGroup bool
}

// infof prints one line. Text from the App (reasons, requirement names,
// logins) is folded onto that line: a newline in a rejection reason must not
// start a line the runner would take for a workflow command (::…::).
func (l *logger) infof(format string, args ...any) {
	fmt.Fprintf(l.w, "stepgate: %s\n", oneLine(fmt.Sprintf(format, args...)))
}

func (l *logger) warnf(format string, args ...any) {
	if l.actions {
		l.gh.Warningf("stepgate: %s", oneLine(fmt.Sprintf(format, args...)))
		return
	}
	fmt.Fprintf(l.w, "stepgate: warning: %s\n", oneLine(fmt.Sprintf(format, args...)))
}

func oneLine(s string) string {
	return redact.Visible(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s))
}

// errorf closes an open group first: the reason a step failed must not be
// folded away inside the collapsed progress log.
func (l *logger) errorf(format string, args ...any) {
	l.endGroup()
	if l.actions {
		l.gh.Errorf("stepgate: %s", oneLine(fmt.Sprintf(format, args...)))
		return
	}
	fmt.Fprintf(l.w, "stepgate: error: %s\n", oneLine(fmt.Sprintf(format, args...)))
}

// mask registers secret values with the runner, line by line: the runner
// masks per line, so a multi-line secret needs each of its lines.
func (l *logger) mask(values []string) {
	if !l.actions {
		return
	}
	for _, v := range values {
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); len(line) >= 4 {
				l.gh.AddMask(line)
			}
		}
	}
}

func (l *logger) group(title string) {
	if l.actions && !l.inGroup {
		l.gh.Group(title)
		l.inGroup = true
	}
}

func (l *logger) endGroup() {
	if l.actions && l.inGroup {
		l.gh.EndGroup()
		l.inGroup = false
	}
}

func (l *logger) intro(cfg Config, o *outcome) {
	where := orDefault(cfg.WorkingDirectory, "the workspace")
	l.infof("gating a command (shell %s, in %s, environment %s):", cfg.Shell, where, orDefault(cfg.Environment, "(none)"))
	// "| " first: the runner trims leading blanks before it looks for
	// workflow commands, so a script line starting with :: would run as one.
	for _, line := range strings.Split(strings.TrimRight(o.command, "\n"), "\n") {
		fmt.Fprintf(l.w, "  | %s\n", redact.Visible(line))
	}
	if o.risk.Level != "" {
		l.infof("local risk assessment: %s (score %d)%s", o.risk.Level, o.risk.Score, reasonsText(o.risk.Reasons))
	}
	l.infof("asking %s for approval (timeout %s)", cfg.ServerURL(), cfg.Timeout)
}

func reasonsText(r []string) string {
	if len(r) == 0 {
		return ""
	}
	return ": " + strings.Join(r, "; ")
}

// asked says who decides and where to click, right after the request exists.
func (l *logger) asked(v gate.RequestView) {
	if v.Status.Final() {
		l.infof("request %s: %s (rule %q)%s", v.ID, v.Status, v.Rule, reasonsText(nonEmpty(v.Reason)))
		return
	}
	l.infof("request %s is pending: rule %q requires %s", v.ID, v.Rule, orDefault(v.Requirement, "an approval"))
	var asked []string
	for _, u := range v.AskedUsers {
		asked = append(asked, "@"+u)
	}
	for _, t := range v.AskedTeams {
		asked = append(asked, "team "+t)
	}
	if len(asked) > 0 {
		l.infof("asked: %s", strings.Join(asked, ", "))
	}
	if v.CheckRunURL != "" {
		l.infof("approve or reject on the check run: %s", v.CheckRunURL)
	}
	if v.CommentURL != "" {
		l.infof("or comment `/stepgate approve` / `/stepgate reject <reason>`: %s", v.CommentURL)
	}
	if !v.ExpiresAt.IsZero() {
		l.infof("expires at %s", v.ExpiresAt.UTC().Format(time.RFC3339))
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// progress is one line per long-poll round.
func (l *logger) progress(elapsed time.Duration, v gate.RequestView) {
	var approvals []string
	for _, a := range v.Approvals {
		if a.Approve {
			approvals = append(approvals, a.Login)
		}
	}
	got := "no approvals yet"
	if len(approvals) > 0 {
		got = fmt.Sprintf("%d approval(s) so far (%s)", len(approvals), strings.Join(approvals, ", "))
	}
	l.infof("[%s] %s: %s; %s", elapsed.Round(time.Second), v.Status, got, pendingText(v))
}
