package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/policy"
)

// Vote channels, as recorded in gate.Vote.Channel and the audit trail.
const (
	ChannelCheckRun      = "check_run"
	ChannelPRComment     = "pr_comment"
	ChannelCommitComment = "commit_comment"
)

// Ballot is one approval or rejection attempt from a signed webhook.
type Ballot struct {
	RepoID   int64 // the repository the event came from
	Voter    ghapi.User
	Approve  bool
	Remember bool
	Channel  string       // ChannelCheckRun, ChannelPRComment or ChannelCommitComment
	Comment  string       // rejection reason
	At       Conversation // where to answer a comment; zero for buttons
	Written  time.Time    // when the comment was created; zero for buttons
}

// maxVoteRetries bounds re-reading after a lost conditional write.
const maxVoteRetries = 5

// castVote re-checks the voter, records the vote and, if that decides the
// request, finishes it. The store's conditional write makes the decision
// atomic across replicas; the per-request lock only spares this replica
// pointless races.
func (l *Lifecycle) Vote(ctx context.Context, log *slog.Logger, reqID string, b Ballot) (string, error) {
	unlock := l.lockRequest(reqID)
	defer unlock()
	for range maxVoteRetries {
		req, err := l.store.GetRequest(ctx, reqID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && req.RepoID != b.RepoID) {
			if first, err := l.once(ctx, ""); !first || err != nil {
				return "duplicate", err
			}
			l.tell(ctx, nil, b, "there is no stepgate request "+reqID+" in this repository")
			return "unknown_request", nil
		}
		if err != nil {
			return "", fmt.Errorf("reading request: %w", err)
		}
		log := log.With("request_id", req.ID)
		ctx := withLog(ctx, log)
		if b.Channel != ChannelCheckRun {
			if out, done, err := l.commentMisplaced(ctx, req, b); done {
				return out, err
			}
		}
		if out, done, err := l.notVotable(ctx, req, b); done {
			return out, err
		}
		outcome, retry, err := l.tryVote(ctx, log, req, b)
		if !retry {
			return outcome, err
		}
	}
	return "", fmt.Errorf("vote on %s: still conflicting after %d tries", reqID, maxVoteRetries)
}

// notVotable answers votes on decided or expired requests.
func (l *Lifecycle) notVotable(ctx context.Context, req *gate.Request, b Ballot) (string, bool, error) {
	if req.ExpiredAt(l.now()) {
		req = l.Expire(ctx, req)
	}
	if !req.Status.Final() {
		return "", false, nil
	}
	if first, err := l.once(ctx, req.ID); !first || err != nil {
		return "duplicate", true, err
	}
	l.tell(ctx, req, b, fmt.Sprintf("request %s is already %s; nothing changed", req.ID, req.Status))
	return "already_decided", true, nil
}

// tryVote makes one attempt; retry is true when the store write lost a race
// that a fresh read may resolve.
func (l *Lifecycle) tryVote(ctx context.Context, log *slog.Logger, req *gate.Request, b Ballot) (outcome string, retry bool, err error) {
	sp := cmp.Or(req.Spec, &gate.Spec{}) // decided at once: no requirement
	login := b.Voter.Login
	if votedBefore(req, login) {
		if first, err := l.once(ctx, req.ID); !first || err != nil {
			return "duplicate", false, err
		}
		l.tell(ctx, req, b, "you already voted on "+req.ID+"; each person counts once")
		return "duplicate_vote", false, nil
	}
	a, err := l.approver(ctx, req, sp, login, l.isBot(b.Voter))
	if err != nil {
		if first, merr := l.once(ctx, req.ID); !first || merr != nil {
			return "duplicate", false, merr
		}
		// The delivery is already marked as seen: say so, so the person
		// can simply try again.
		l.tell(ctx, req, b, "stepgate could not check your permissions with GitHub just now; nothing changed, please try again")
		return "", false, err
	}
	if ok, why := policy.Eligible(sp.Require, a, req.SelfApproval); !ok {
		if first, err := l.once(ctx, req.ID); !first || err != nil {
			return "duplicate", false, err
		}
		l.audit(ctx, req, gate.EventIgnored, login, b.Channel, map[string]string{"why": why, "approve": fmt.Sprint(b.Approve)})
		log.InfoContext(ctx, "vote ignored", "login", login, "why", why)
		l.tell(ctx, req, b, "your "+verbOf(b)+" does not count: "+why+". Nothing changed.")
		return "ineligible", false, nil
	}
	l.facts.put(factsKey(req.ID, login), a, l.now())
	votes, err := l.priorVotes(ctx, req, sp)
	if err != nil {
		return "", false, err
	}
	votes = append(votes, policy.Vote{Approver: a, Approve: b.Approve, Channel: b.Channel, Remember: b.Remember})
	prog := policy.Check(sp.Require, votes, req.SelfApproval)
	v := gate.Vote{Login: login, Approve: b.Approve, Remember: b.Remember && req.RememberTTL > 0,
		Channel: b.Channel, Satisfied: prog.Counted[login], Comment: b.Comment, At: l.now().UTC()}
	d := decision(append(append([]gate.Vote(nil), req.Votes...), v), req.RememberTTL, prog)
	if d.Status.Final() {
		// The deciding vote's event rides in the decision's write (finish.go).
		d.Event = l.voteEvent(req, v, d)
	}
	done, err := l.store.Vote(ctx, req.ID, v, d, voteDelivery(ctx))
	if errors.Is(err, store.ErrConflict) {
		return "", true, nil // re-read: decided, expired, or this login voted meanwhile
	}
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("vote").Inc()
		return "", false, fmt.Errorf("recording vote: %w", err)
	}
	l.recordVote(ctx, done, v)
	if done.Status.Final() {
		l.finish(ctx, done, login, true)
		return string(done.Status), false, nil
	}
	if len(done.Votes) > len(req.Votes)+1 {
		// Others voted between our read and our write (another replica):
		// the last writer sees every vote and settles the outcome.
		if final, ok := l.settle(ctx, done, sp, login); ok {
			return string(final.Status), false, nil
		}
	}
	l.refreshOnGitHub(ctx, done, "", true)
	return "vote", false, nil
}

// settle recomputes progress over all votes a request holds and, when they
// decide it, finalizes it. It returns false when the request stays pending
// or someone else finalized it first.
func (l *Lifecycle) settle(ctx context.Context, r *gate.Request, sp *gate.Spec, actor string) (*gate.Request, bool) {
	votes, err := l.priorVotes(ctx, r, sp)
	if err != nil {
		l.logger(ctx).WarnContext(ctx, "recomputing progress", "err", err)
		return nil, false
	}
	prog := policy.Check(sp.Require, votes, r.SelfApproval)
	d := decision(r.Votes, r.RememberTTL, prog)
	if !d.Status.Final() {
		return nil, false
	}
	final, err := l.finalize(ctx, r, d, actor)
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			l.metrics.storeErrors.WithLabelValues("finalize").Inc()
			l.logger(ctx).WarnContext(ctx, "finalizing after concurrent votes", "err", err)
		}
		return nil, false
	}
	l.finish(ctx, final, actor, false)
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
func (l *Lifecycle) priorVotes(ctx context.Context, req *gate.Request, sp *gate.Spec) ([]policy.Vote, error) {
	var out []policy.Vote
	for _, v := range req.Votes {
		a, ok := l.facts.get(factsKey(req.ID, v.Login), l.now())
		if !ok {
			var err error
			if a, err = l.approver(ctx, req, sp, v.Login, false); err != nil {
				return nil, err
			}
			l.facts.put(factsKey(req.ID, v.Login), a, l.now())
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

func (l *Lifecycle) recordVote(ctx context.Context, r *gate.Request, v gate.Vote) {
	if r.Status.Final() && r.PendingAudit != nil {
		l.seal(ctx, r) // stored with the decision; into the chain now
		return
	}
	e := l.voteEvent(r, v, store.Decide{})
	l.appendAudit(ctx, r, *e)
}

// voteEvent is the audit event of vote v on r; with a final d it also
// records the outcome the vote decided.
func (l *Lifecycle) voteEvent(r *gate.Request, v gate.Vote, dec store.Decide) *gate.AuditEvent {
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
	return l.event(r, typ, v.Login, v.Channel, d)
}

// tell answers the voter: a comment reply for comment commands, a note on
// the check run for button clicks.
func (l *Lifecycle) tell(ctx context.Context, req *gate.Request, b Ballot, msg string) {
	if b.Channel != ChannelCheckRun {
		l.reply(ctx, b.At, render.Reply(b.Voter.Login, msg))
		return
	}
	if req == nil || req.CheckRunID == 0 {
		return
	}
	err := l.gh.UpdateCheckRun(ctx, req.Repo, req.CheckRunID, l.checkRun(req, "@"+b.Voter.Login+": "+msg))
	l.countGitHub("update_check_run", err)
	if err != nil {
		l.logger(ctx).WarnContext(ctx, "updating check run", "request_id", req.ID, "err", err)
	}
}

func verbOf(b Ballot) string {
	if b.Approve {
		return "approval"
	}
	return "rejection"
}

// isBot reports whether a sender never counts: GitHub Apps and bots, and
// the App itself.
func (l *Lifecycle) isBot(u ghapi.User) bool {
	return strings.EqualFold(u.Type, "Bot") || strings.HasSuffix(strings.ToLower(u.Login), "[bot]") ||
		(l.cfg.BotLogin != "" && strings.EqualFold(u.Login, l.cfg.BotLogin))
}
