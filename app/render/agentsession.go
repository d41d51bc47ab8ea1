package render

import (
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/redact"
)

// AgentSession renders the one check run of an AI agent session: which of
// its commands wait for a person, which were decided and by whom, and how
// many passed or were refused without anyone. Each waiting command still
// has its own check run and comment, where it is approved or rejected.
func AgentSession(a *gate.AgentSession) Output {
	pending := a.Pending()
	decided := len(a.Commands) - pending
	title := fmt.Sprintf("%s session: %d waiting, %d decided, %d passed by policy", Plain(a.Agent), pending, decided, a.Allowed)
	var b strings.Builder
	fmt.Fprintf(&b, "Commands the AI agent **%s** asked to run in session %s.\n\n", Escape(a.Agent), redact.InlineCode(a.Session, 80))
	if pending > 0 {
		b.WriteString("**Waiting for a reviewer** — approve or reject each on its own check run, or comment `/stepgate approve <request id>`:\n\n")
		for _, c := range a.Commands {
			if c.Status == gate.StatusPending {
				b.WriteString(sessionLine(c))
			}
		}
		b.WriteString("\n")
	}
	if decided > 0 {
		b.WriteString("**Decided:**\n\n")
		for _, c := range a.Commands {
			if c.Status != gate.StatusPending {
				b.WriteString(sessionLine(c))
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d more passed by policy or as remembered commands, %d were refused at once (policy, freeze or rate cap); all are in the audit trail.\n", a.Allowed, a.Refused)
	return Output{Title: title, Summary: clip(b.String())}
}

func sessionLine(c gate.AgentSessionCommand) string {
	line := "- `" + safeID(c.RequestID) + "` " + redact.InlineCode(redact.Shown(c.Command), 120) + " — " + Escape(string(c.Status))
	if c.Rule != "" {
		line += ", rule " + redact.InlineCode(c.Rule, 60)
	}
	if c.Risk != "" {
		line += ", " + Escape(c.Risk) + " risk"
	}
	if len(c.By) > 0 {
		by := make([]string, 0, len(c.By))
		for _, l := range c.By {
			by = append(by, plainLogin(l))
		}
		line += ", by " + strings.Join(by, ", ")
	}
	return line + "\n"
}
