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

// Vote re-checks the voter, records the vote and, if that decides the
// request, finishes it. The store's conditional write makes the decision
// atomic across replicas; the per-request lock only spares this replica
// pointless races. It returns a short outcome for logs and metrics.
func (l *Lifecycle) Vote(ctx context.Context, log *slog.Logger, reqID string, b Ballot) (string, error) {
	unlock := l.lockRequest(reqID)
	defer unlock()
	for range maxVoteRetries {
		v := &voteRun{l: l, log: log, b: b, id: reqID}
		outcome, retry, err := v.run(ctx)
		if !retry {
			return outcome, err
		}
	}
	return "", fmt.Errorf("vote on %s: still conflicting after %d tries", reqID, maxVoteRetries)
}

// voteRun is one attempt of one ballot on one request, as named stages
// over what they share: read the request, check where the ballot came
// from, that the request still takes votes and that the voter counts, then
// record the vote and settle the outcome. Every answer other than the
// recorded vote goes through refuse, which checks once that this delivery
// is new, so a redelivered webhook changes nothing the second time.
type voteRun struct {
	l   *Lifecycle
	log *slog.Logger
	b   Ballot
	id  string        // the request the ballot names
	req *gate.Request // nil until read; nil after for an unknown request
	sp  *gate.Spec
}

// run makes the attempt; retry is true when the store write lost a race
// that a fresh read may resolve.
func (v *voteRun) run(ctx context.Context) (outcome string, retry bool, err error) {
	l, b := v.l, v.b
	req, err := l.store.GetRequest(ctx, v.id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && req.RepoID != b.RepoID) {
		outcome, err := v.refuse(ctx, "unknown_request", "there is no stepgate request "+v.id+" in this repository", nil)
		return outcome, false, err
	}
	if err != nil {
		return "", false, fmt.Errorf("reading request: %w", err)
	}
	v.req, v.sp = req, cmp.Or(req.Spec, &gate.Spec{}) // decided at once: no requirement
	v.log = v.log.With("request_id", req.ID)
	ctx = WithLog(ctx, v.log)
	for _, check := range []func(context.Context) (string, bool, error){v.misplaced, v.closed, v.again} {
		if outcome, done, err := check(ctx); done {
			return outcome, false, err
		}
	}
	a, outcome, done, err := v.voter(ctx)
	if done {
		return outcome, false, err
	}
	return v.record(ctx, a)
}

// refuse answers the voter once per delivery, recording an ignored-vote
// audit event when why is set.
func (v *voteRun) refuse(ctx context.Context, outcome, msg string, why map[string]string) (string, error) {
	reqID := ""
	if v.req != nil {
		reqID = v.req.ID
	}
	if first, err := v.l.once(ctx, reqID); !first || err != nil {
		return "duplicate", err
	}
	if why != nil {
		why["approve"] = fmt.Sprint(v.b.Approve)
		v.l.trail.record(ctx, v.req, gate.EventIgnored, v.b.Voter.Login, v.b.Channel, why)
	}
	v.l.show.tell(ctx, v.req, v.b, msg)
	return outcome, nil
}

// misplaced refuses a comment vote that may not count for the request: one
// on another pull request or commit than the request's own, or one
// written before the request was made (a replayed or old approval).
func (v *voteRun) misplaced(ctx context.Context) (string, bool, error) {
	b, req := v.b, v.req
	if b.Channel == ChannelCheckRun {
		return "", false, nil
	}
	var outcome, msg string
	switch {
	case b.At.PR != 0 && b.At.PR != req.PRNumber, b.At.PR == 0 && (b.At.SHA == "" || !strings.EqualFold(b.At.SHA, req.HeadSHA)):
		outcome = "wrong_target"
		msg = "request " + req.ID + " belongs to another pull request or commit; a comment counts only on the request's own. Nothing changed."
	case b.Written.IsZero() || b.Written.Before(req.CreatedAt.Truncate(time.Second)):
		outcome = "stale_comment"
		msg = "this comment was written before request " + req.ID + " was made, so it does not count. Comment again. Nothing changed."
	default:
		return "", false, nil
	}
	out, err := v.refuse(ctx, outcome, msg, map[string]string{"why": outcome})
	return out, true, err
}

// closed refuses votes on decided requests, expiring an overdue one first.
func (v *voteRun) closed(ctx context.Context) (string, bool, error) {
	if v.req.ExpiredAt(v.l.now()) {
		v.req = v.l.Expire(ctx, v.req)
	}
	if !v.req.Status.Final() {
		return "", false, nil
	}
	out, err := v.refuse(ctx, "already_decided", fmt.Sprintf("request %s is already %s; nothing changed", v.req.ID, v.req.Status), nil)
	return out, true, err
}

// again refuses a second vote of the same person: each counts once.
func (v *voteRun) again(ctx context.Context) (string, bool, error) {
	if !votedBefore(v.req, v.b.Voter.Login) {
		return "", false, nil
	}
	out, err := v.refuse(ctx, "duplicate_vote", "you already voted on "+v.req.ID+"; each person counts once", nil)
	return out, true, err
}

// voter asks GitHub what the requirement needs to know about the voter
// (security invariant 3) and refuses one who does not count.
func (v *voteRun) voter(ctx context.Context) (policy.Approver, string, bool, error) {
	l, login := v.l, v.b.Voter.Login
	a, err := l.read.approver(ctx, v.req, v.sp, login, l.isBot(v.b.Voter))
	if err != nil {
		// The delivery is marked as seen by now: say so, so the person can
		// simply try again.
		if out, rerr := v.refuse(ctx, "", "stepgate could not check your permissions with GitHub just now; nothing changed, please try again", nil); rerr != nil || out == "duplicate" {
			return a, out, true, rerr
		}
		return a, "", true, err
	}
	if ok, why := policy.Eligible(v.sp.Require, a, v.req.SelfApproval); !ok {
		v.log.InfoContext(ctx, "vote ignored", "login", login, "why", why)
		out, err := v.refuse(ctx, "ineligible", "your "+verbOf(v.b)+" does not count: "+why+". Nothing changed.", map[string]string{"why": why})
		return a, out, true, err
	}
	l.read.facts.put(factsKey(v.req.ID, login), a, l.now())
	return a, "", false, nil
}

// record writes the vote, with the decision it makes if it makes one, in
// one conditional write, then finishes a decided request or refreshes the
// check run and comment of a pending one.
func (v *voteRun) record(ctx context.Context, a policy.Approver) (outcome string, retry bool, err error) {
	l, req, b, login := v.l, v.req, v.b, v.b.Voter.Login
	votes, err := l.priorVotes(ctx, req, v.sp)
	if err != nil {
		return "", false, err
	}
	votes = append(votes, policy.Vote{Approver: a, Approve: b.Approve, Channel: b.Channel, Remember: b.Remember})
	prog := policy.Check(v.sp.Require, votes, req.SelfApproval)
	vt := gate.Vote{Login: login, Approve: b.Approve, Remember: b.Remember && req.RememberTTL > 0,
		Channel: b.Channel, Satisfied: prog.Counted[login], Comment: b.Comment, At: l.now().UTC()}
	d := decision(append(append([]gate.Vote(nil), req.Votes...), vt), req.RememberTTL, prog)
	if d.Status.Final() {
		// The deciding vote's event rides in the decision's write (finish.go).
		d.Event = l.trail.vote(req, vt, d)
	}
	done, err := l.store.Vote(ctx, req.ID, vt, d, voteDelivery(ctx))
	if errors.Is(err, store.ErrConflict) {
		return "", true, nil // re-read: decided, expired, or this login voted meanwhile
	}
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("vote").Inc()
		return "", false, fmt.Errorf("recording vote: %w", err)
	}
	l.recordVote(ctx, done, vt)
	if done.Status.Final() {
		l.finish(ctx, done, login, true)
		return string(done.Status), false, nil
	}
	if len(done.Votes) > len(req.Votes)+1 {
		// Others voted between our read and our write (another replica):
		// the last writer sees every vote and settles the outcome.
		if final, ok := l.settle(ctx, done, v.sp, login); ok {
			return string(final.Status), false, nil
		}
	}
	l.show.refresh(ctx, done, "", true)
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
		a, ok := l.read.facts.get(factsKey(req.ID, v.Login), l.now())
		if !ok {
			var err error
			if a, err = l.read.approver(ctx, req, sp, v.Login, false); err != nil {
				return nil, err
			}
			l.read.facts.put(factsKey(req.ID, v.Login), a, l.now())
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
		l.trail.seal(ctx, r) // stored with the decision; into the chain now
		return
	}
	e := l.trail.vote(r, v, store.Decide{})
	l.trail.append(ctx, r, *e)
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
