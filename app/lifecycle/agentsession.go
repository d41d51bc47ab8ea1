package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/gate"
)

// One check run per AI agent session: an agent can ask for dozens of
// commands, so besides each waiting command's own check run (its buttons)
// and comment, the session gets one check run listing what waits and what
// was decided. Commands that pass or are refused at once are only counted
// (one store write, no GitHub call): they do not bother reviewers.

// agentSessionTTL is how long a session's overview is kept after its last
// change: longer than any run.
const agentSessionTTL = 7 * 24 * time.Hour

func agentSessionKey(r *gate.Request) string {
	return fmt.Sprintf("%s#%d#%d#%s#%s", r.Repo, r.RunID, r.RunAttempt, r.Agent, r.AgentSession)
}

func sessionCommand(r *gate.Request) gate.AgentSessionCommand {
	c := gate.AgentSessionCommand{RequestID: r.ID, Command: r.Command, Status: r.Status, Rule: r.Rule,
		Risk: r.RiskLevel, CheckRunURL: r.CheckRunURL, At: r.CreatedAt}
	if r.Status == gate.StatusApproved || r.Status == gate.StatusRejected {
		c.By, c.At = r.DecidedBy, r.DecidedAt
	}
	return c
}

// noteAgentCreated records a new agent request in its session: counted when
// it was decided at once, listed (and shown on GitHub) when it waits.
func (l *Lifecycle) noteAgentCreated(ctx context.Context, r *gate.Request) {
	if r.Source != gate.SourceAgent {
		return
	}
	a, err := l.store.UpdateAgentSession(ctx, agentSessionKey(r), agentSessionTTL, l.now(), func(a *gate.AgentSession) bool {
		a.Repo, a.Agent, a.Session = r.Repo, r.Agent, r.AgentSession
		if a.HeadSHA == "" {
			a.HeadSHA = r.HeadSHA
		}
		switch r.Status {
		case gate.StatusAllowed:
			a.Allowed++
		case gate.StatusPending:
			a.Upsert(sessionCommand(r))
		default:
			a.Refused++
		}
		return true
	})
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("update_agent_session").Inc()
		l.logger(ctx).WarnContext(ctx, "recording agent session", "request_id", r.ID, "err", err)
		return
	}
	if r.Status == gate.StatusPending {
		l.showAgentSession(ctx, a)
	}
}

// noteAgentDecided moves a listed command to its final status.
func (l *Lifecycle) noteAgentDecided(ctx context.Context, r *gate.Request) {
	if r.Source != gate.SourceAgent {
		return
	}
	listed := false
	a, err := l.store.UpdateAgentSession(ctx, agentSessionKey(r), agentSessionTTL, l.now(), func(a *gate.AgentSession) bool {
		listed = false
		for _, c := range a.Commands {
			if c.RequestID == r.ID {
				listed = c.Status != r.Status
			}
		}
		if listed {
			a.Upsert(sessionCommand(r))
		}
		return listed
	})
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("update_agent_session").Inc()
		l.logger(ctx).WarnContext(ctx, "recording agent session", "request_id", r.ID, "err", err)
		return
	}
	if listed {
		l.showAgentSession(ctx, a)
	}
}

// sessionCheckRun renders the session's check run. It has no buttons
// (each command is decided on its own check run), and its external id is
// no request id, so a click or a re-run on it decides nothing.
func (l *Lifecycle) sessionCheckRun(a *gate.AgentSession) ghapi.CheckRun {
	out := render.AgentSession(a)
	cr := ghapi.CheckRun{Name: truncate(l.cfg.CheckRunName+": "+a.Agent+" agent session "+a.Session, 100),
		ExternalID: "agent-session", Title: out.Title, Summary: out.Summary, Status: "in_progress"}
	if a.Pending() == 0 {
		cr.Status, cr.Conclusion = "completed", "neutral"
	}
	return cr
}

// showAgentSession opens or updates the session's check run. The first
// replica to record a check run id wins; one that lost the race closes its
// own as a duplicate. GitHub errors are logged: the overview is a courtesy,
// every decision goes through the commands' own check runs and comments.
func (l *Lifecycle) showAgentSession(ctx context.Context, a *gate.AgentSession) {
	cr := l.sessionCheckRun(a)
	if a.CheckRunID != 0 {
		err := l.gh.UpdateCheckRun(ctx, a.Repo, a.CheckRunID, cr)
		l.countGitHub("update_check_run", err)
		if err != nil {
			l.logger(ctx).WarnContext(ctx, "updating agent session check run", "repo", a.Repo, "err", err)
		}
		return
	}
	if a.HeadSHA == "" {
		return
	}
	cr.HeadSHA = a.HeadSHA
	id, url, err := l.gh.CreateCheckRun(ctx, a.Repo, cr)
	l.countGitHub("create_check_run", err)
	if err != nil {
		l.logger(ctx).WarnContext(ctx, "creating agent session check run", "repo", a.Repo, "err", err)
		return
	}
	stored, err := l.store.UpdateAgentSession(ctx, a.Key, agentSessionTTL, l.now(), func(x *gate.AgentSession) bool {
		if x.CheckRunID != 0 {
			return false
		}
		x.CheckRunID, x.CheckRunURL = id, url
		return true
	})
	if err != nil || stored.CheckRunID == id {
		return
	}
	dup := cr
	dup.HeadSHA, dup.Status, dup.Conclusion = "", "completed", "neutral"
	dup.Title, dup.Summary = "Duplicate: see the other check run of this agent session", render.Escape(stored.CheckRunURL)
	err = l.gh.UpdateCheckRun(ctx, a.Repo, id, dup)
	l.countGitHub("update_check_run", err)
	err = l.gh.UpdateCheckRun(ctx, a.Repo, stored.CheckRunID, l.sessionCheckRun(stored))
	l.countGitHub("update_check_run", err)
}
