package lifecycle

import (
	"strings"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
)

// view is what the gate API answers about a request.
func (l *Lifecycle) View(r *gate.Request) gate.RequestView {
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
	if sp := r.Spec; sp != nil && sp.Require != nil {
		v.Requirement = sp.Require.String()
		v.AskedUsers = sp.Require.UserLogins()
		v.AskedTeams = sp.Require.Teams()
		if r.Status == gate.StatusPending {
			v.Pending = sp.Pending(r.Votes)
		}
	}
	return v
}

// mentionable splits whom the requirement names into the people and teams
// the App may @-mention (named by the policy, which comes from the default
// branch) and those only the workflow's approvers input names: anyone who
// can edit a workflow writes that input, so it is shown without pinging
// (issue 13: `team:acme/everyone` must not ping a whole organisation). A
// name both give is treated as the input's.
func mentionable(req *policy.Requirement, approvers []string) (users, teams, extra []string) {
	fromInput := map[string]bool{}
	for _, a := range approvers {
		if strings.TrimSpace(a) == "" {
			continue
		}
		extra = append(extra, a)
		r, err := policy.ParseApprover(a)
		if err != nil {
			continue
		}
		for _, u := range r.UserLogins() {
			fromInput["user:"+strings.ToLower(u)] = true
		}
		for _, t := range r.Teams() {
			fromInput["team:"+strings.ToLower(t)] = true
		}
	}
	for _, u := range req.UserLogins() {
		if !fromInput["user:"+strings.ToLower(u)] {
			users = append(users, u)
		}
	}
	for _, t := range req.Teams() {
		if !fromInput["team:"+strings.ToLower(t)] {
			teams = append(teams, t)
		}
	}
	return users, teams, extra
}
