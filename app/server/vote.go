package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
)

// Vote channels, as recorded in gate.Vote.Channel and the audit trail.
const (
	channelCheckRun      = "check_run"
	channelPRComment     = "pr_comment"
	channelCommitComment = "commit_comment"
)

// ballot is one approval or rejection attempt from a webhook.
type ballot struct {
	repoID   int64 // the repository the event came from
	voter    ghUser
	approve  bool
	remember bool
	channel  string
	comment  string    // rejection reason
	at       where     // where to answer a comment; zero for buttons
	written  time.Time // when the comment was created; zero for buttons
}

// maxVoteRetries bounds re-reading after a lost conditional write.
const maxVoteRetries = 5

// castVote re-checks the voter, records the vote and, if that decides the
// request, finishes it. The store's conditional write makes the decision
// atomic across replicas; the per-request lock only spares this replica
// pointless races.
func (s *Server) castVote(ctx context.Context, log *slog.Logger, reqID string, b ballot) (string, error) {
	unlock := s.lockRequest(reqID)
	defer unlock()
	for range maxVoteRetries {
		req, err := s.store.GetRequest(ctx, reqID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && req.RepoID != b.repoID) {
			if first, err := s.once(ctx, ""); !first || err != nil {
				return "duplicate", err
			}
			s.tell(ctx, nil, b, "there is no stepgate request "+reqID+" in this repository")
			return "unknown_request", nil
		}
		if err != nil {
			return "", fmt.Errorf("reading request: %w", err)
		}
		log := log.With("request_id", req.ID)
		ctx := withLog(ctx, log)
		if b.channel != channelCheckRun {
			if out, done, err := s.commentMisplaced(ctx, req, b); done {
				return out, err
			}
		}
		if out, done, err := s.notVotable(ctx, req, b); done {
			return out, err
		}
		outcome, retry, err := s.tryVote(ctx, log, req, b)
		if !retry {
			return outcome, err
		}
	}
	return "", fmt.Errorf("vote on %s: still conflicting after %d tries", reqID, maxVoteRetries)
}

// notVotable answers votes on decided or expired requests.
func (s *Server) notVotable(ctx context.Context, req *gate.Request, b ballot) (string, bool, error) {
	if req.ExpiredAt(s.now()) {
		req = s.expire(ctx, req)
	}
	if !req.Status.Final() {
		return "", false, nil
	}
	if first, err := s.once(ctx, req.ID); !first || err != nil {
		return "duplicate", true, err
	}
	s.tell(ctx, req, b, fmt.Sprintf("request %s is already %s; nothing changed", req.ID, req.Status))
	return "already_decided", true, nil
}

// tryVote makes one attempt; retry is true when the store write lost a race
// that a fresh read may resolve.
func (s *Server) tryVote(ctx context.Context, log *slog.Logger, req *gate.Request, b ballot) (outcome string, retry bool, err error) {
	sp := cmp.Or(req.Spec, &gate.Spec{}) // decided at once: no requirement
	login := b.voter.Login
	if votedBefore(req, login) {
		if first, err := s.once(ctx, req.ID); !first || err != nil {
			return "duplicate", false, err
		}
		s.tell(ctx, req, b, "you already voted on "+req.ID+"; each person counts once")
		return "duplicate_vote", false, nil
	}
	a, err := s.approver(ctx, req, sp, login, s.isBot(b.voter))
	if err != nil {
		if first, merr := s.once(ctx, req.ID); !first || merr != nil {
			return "duplicate", false, merr
		}
		// The delivery is already marked as seen: say so, so the person
		// can simply try again.
		s.tell(ctx, req, b, "stepgate could not check your permissions with GitHub just now; nothing changed, please try again")
		return "", false, err
	}
	if ok, why := policy.Eligible(sp.Require, a, req.SelfApproval); !ok {
		if first, err := s.once(ctx, req.ID); !first || err != nil {
			return "duplicate", false, err
		}
		s.audit(ctx, req, gate.EventIgnored, login, b.channel, map[string]string{"why": why, "approve": fmt.Sprint(b.approve)})
		log.InfoContext(ctx, "vote ignored", "login", login, "why", why)
		s.tell(ctx, req, b, "your "+verbOf(b)+" does not count: "+why+". Nothing changed.")
		return "ineligible", false, nil
	}
	s.facts.put(factsKey(req.ID, login), a, s.now())
	votes, err := s.priorVotes(ctx, req, sp)
	if err != nil {
		return "", false, err
	}
	votes = append(votes, policy.Vote{Approver: a, Approve: b.approve, Channel: b.channel, Remember: b.remember})
	prog := policy.Check(sp.Require, votes, req.SelfApproval)
	v := gate.Vote{Login: login, Approve: b.approve, Remember: b.remember && req.RememberTTL > 0,
		Channel: b.channel, Satisfied: prog.Counted[login], Comment: b.comment, At: s.now().UTC()}
	d := decision(append(append([]gate.Vote(nil), req.Votes...), v), req.RememberTTL, prog)
	if d.Status.Final() {
		// The deciding vote's event rides in the decision's write (finish.go).
		d.Event = s.voteEvent(req, v, d)
	}
	done, err := s.store.Vote(ctx, req.ID, v, d, voteDelivery(ctx))
	if errors.Is(err, store.ErrConflict) {
		return "", true, nil // re-read: decided, expired, or this login voted meanwhile
	}
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("vote").Inc()
		return "", false, fmt.Errorf("recording vote: %w", err)
	}
	s.recordVote(ctx, done, v)
	if done.Status.Final() {
		s.finish(ctx, done, login, true)
		return string(done.Status), false, nil
	}
	if len(done.Votes) > len(req.Votes)+1 {
		// Others voted between our read and our write (another replica):
		// the last writer sees every vote and settles the outcome.
		if final, ok := s.settle(ctx, done, sp, login); ok {
			return string(final.Status), false, nil
		}
	}
	s.refreshOnGitHub(ctx, done, "", true)
	return "vote", false, nil
}

// settle recomputes progress over all votes a request holds and, when they
// decide it, finalizes it. It returns false when the request stays pending
// or someone else finalized it first.
func (s *Server) settle(ctx context.Context, r *gate.Request, sp *gate.Spec, actor string) (*gate.Request, bool) {
	votes, err := s.priorVotes(ctx, r, sp)
	if err != nil {
		s.logger(ctx).WarnContext(ctx, "recomputing progress", "err", err)
		return nil, false
	}
	prog := policy.Check(sp.Require, votes, r.SelfApproval)
	d := decision(r.Votes, r.RememberTTL, prog)
	if !d.Status.Final() {
		return nil, false
	}
	final, err := s.finalize(ctx, r, d, actor)
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			s.metrics.storeErrors.WithLabelValues("finalize").Inc()
			s.logger(ctx).WarnContext(ctx, "finalizing after concurrent votes", "err", err)
		}
		return nil, false
	}
	s.finish(ctx, final, actor, false)
	return final, true
}

func votedBefore(r *gate.Request, login string) bool {
	for _, v := range r.Votes {
		if strings.EqualFold(v.Login, login) {
			return true
		}
	}
	return false
}

// priorVotes rebuilds the facts of everyone who voted before, from the
// cache or GitHub, so progress is recomputed over all votes.
func (s *Server) priorVotes(ctx context.Context, req *gate.Request, sp *gate.Spec) ([]policy.Vote, error) {
	var out []policy.Vote
	for _, v := range req.Votes {
		a, ok := s.facts.get(factsKey(req.ID, v.Login), s.now())
		if !ok {
			var err error
			if a, err = s.approver(ctx, req, sp, v.Login, false); err != nil {
				return nil, err
			}
			s.facts.put(factsKey(req.ID, v.Login), a, s.now())
		}
		out = append(out, policy.Vote{Approver: a, Approve: v.Approve, Channel: v.Channel, Remember: v.Remember})
	}
	return out, nil
}

// decision turns progress over votes into the Decide to store.
func decision(votes []gate.Vote, rememberTTL int64, prog policy.Progress) store.Decide {
	switch {
	case prog.Rejected:
		reason := "rejected by " + prog.RejectedBy
		for _, v := range votes {
			if !v.Approve && strings.EqualFold(v.Login, prog.RejectedBy) && v.Comment != "" {
				reason += ": " + v.Comment
			}
		}
		return store.Decide{Status: gate.StatusRejected, DecidedBy: []string{prog.RejectedBy}, Reason: reason}
	case prog.Met:
		d := store.Decide{Status: gate.StatusApproved}
		remember := false
		for _, v := range votes {
			if v.Approve && len(prog.Counted[v.Login]) > 0 {
				d.DecidedBy = append(d.DecidedBy, v.Login)
				remember = remember || v.Remember
			}
		}
		d.Remember = remember && rememberTTL > 0
		d.Reason = "approved by " + strings.Join(d.DecidedBy, ", ")
		return d
	}
	return store.Decide{Status: gate.StatusPending}
}

func (s *Server) recordVote(ctx context.Context, r *gate.Request, v gate.Vote) {
	if r.Status.Final() && r.PendingAudit != nil {
		s.seal(ctx, r) // stored with the decision; into the chain now
		return
	}
	e := s.voteEvent(r, v, store.Decide{})
	s.appendAudit(ctx, r, *e)
}

// voteEvent is the audit event of vote v on r; with a final d it also
// records the outcome the vote decided.
func (s *Server) voteEvent(r *gate.Request, v gate.Vote, dec store.Decide) *gate.AuditEvent {
	typ := gate.EventApproval
	if !v.Approve {
		typ = gate.EventRejection
	}
	d := map[string]string{"satisfied": strings.Join(v.Satisfied, "; ")}
	if dec.Status.Final() {
		// This vote decided the request: its event records the outcome.
		d["decision"] = string(dec.Status)
		d["reason"] = dec.Reason
		d["decided_by"] = strings.Join(dec.DecidedBy, ",")
		if dec.Remember {
			d["remembered"] = "true"
		}
	}
	if v.Comment != "" {
		d["comment"] = v.Comment
	}
	if v.Remember {
		d["remember"] = "true"
	}
	return s.event(r, typ, v.Login, v.Channel, d)
}

// tell answers the voter: a comment reply for comment commands, a note on
// the check run for button clicks.
func (s *Server) tell(ctx context.Context, req *gate.Request, b ballot, msg string) {
	if b.channel != channelCheckRun {
		s.reply(ctx, b.at, render.Reply(b.voter.Login, msg))
		return
	}
	if req == nil || req.CheckRunID == 0 {
		return
	}
	err := s.gh.UpdateCheckRun(ctx, req.Repo, req.CheckRunID, s.checkRun(req, "@"+b.voter.Login+": "+msg))
	s.countGitHub("update_check_run", err)
	if err != nil {
		s.logger(ctx).WarnContext(ctx, "updating check run", "request_id", req.ID, "err", err)
	}
}

func verbOf(b ballot) string {
	if b.approve {
		return "approval"
	}
	return "rejection"
}
