package server

import (
	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/gate"
)

// view is what the gate API answers about a request.
func (s *Server) view(r *gate.Request) gate.RequestView {
	v := gate.RequestView{
		ID: r.ID, Status: r.Status, Repo: r.Repo, Command: r.Command, CommandSHA256: r.CommandSHA256,
		Shell: r.Shell, WorkingDirectory: r.WorkingDirectory, Environment: r.Environment,
		Risk: gate.RiskView{Level: r.RiskLevel, Score: r.RiskScore, Reasons: r.RiskReasons},
		Rule: r.Rule, Reason: r.FinalReason, CheckRunURL: r.CheckRunURL, CommentURL: r.CommentURL,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, DecidedAt: r.DecidedAt,
		Source: r.Source, Agent: r.Agent, AgentSession: r.AgentSession, ToolCallID: r.ToolCallID,
	}
	for _, vt := range r.Votes {
		if vt.Approve {
			v.Approvals = append(v.Approvals, vt)
		}
	}
	switch r.Status {
	case gate.StatusApproved:
		v.ApprovedBy = r.DecidedBy
	case gate.StatusRejected:
		v.RejectedBy = r.DecidedBy
	}
	if sp, err := decodeSpec(r); err == nil && sp.Require != nil {
		v.Requirement = sp.Require.String()
		v.AskedUsers = sp.Require.UserLogins()
		v.AskedTeams = sp.Require.Teams()
		if r.Status == gate.StatusPending {
			v.Pending = pendingFromVotes(sp.Require, r.Votes)
		}
	}
	return v
}

// renderGate gathers what render needs about r.
func (s *Server) renderGate(r *gate.Request, note string) render.Gate {
	g := render.Gate{Request: r, Note: note, Remember: r.RememberTTL > 0}
	sp, err := decodeSpec(r)
	if err != nil || sp.Require == nil {
		return g
	}
	g.Requirement = sp.Require.String()
	g.Users = sp.Require.UserLogins()
	g.Teams = sp.Require.Teams()
	g.Owners = sp.Owners
	g.Roles = sp.roles()
	if r.Status == gate.StatusPending {
		g.Pending = pendingFromVotes(sp.Require, r.Votes)
	}
	return g
}
