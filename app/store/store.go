// Package store defines where the App keeps pending requests, decisions,
// remembered commands, audit events, webhook deliveries and freeze flags.
//
// There are two implementations with identical semantics, proven by one
// conformance suite (storetest): bolt (an embedded file, the default on one
// machine) and dynamo (DynamoDB, shared by many App replicas). Every state
// change is a single-item conditional write, so concurrent replicas never
// double-decide a request.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// Sentinel outcomes. Implementations wrap them; callers use errors.Is.
var (
	// ErrNotFound: no such item (or it has expired and is treated as gone).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a conditional write lost: the request is no longer
	// pending, has expired, or the approver already voted.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the backing store cannot be reached. The App answers
	// 503 and gates fail closed.
	ErrUnavailable = errors.New("store unavailable")
)

// Decide is the outcome the App computed for a vote: if Status is final the
// same conditional write that records the vote also sets it, so a request
// reaches exactly one final status.
type Decide struct {
	Status    gate.Status // gate.StatusPending to only record the vote
	DecidedBy []string
	Reason    string
	Remember  bool
	// Event is the audit event of a final decision (unsealed). It is
	// stored on the request in the same conditional write as the status
	// (Request.PendingAudit), so a final status never exists without its
	// event; SealDecision then moves it into the hash chain.
	Event *gate.AuditEvent
}

// Store is safe for concurrent use by many goroutines and, for dynamo, many
// processes. All times are compared with the now the caller passes, so tests
// control the clock.
type Store interface {
	// CreateRequest stores r (r.ID must be gate.RequestID(r.IdempotencyKey))
	// unless a request with that id exists; it returns the stored request and
	// whether this call created it.
	CreateRequest(ctx context.Context, r *gate.Request) (stored *gate.Request, created bool, err error)
	// GetRequest returns a request by id, or ErrNotFound. Expiry is not
	// applied here: callers check r.ExpiredAt(now).
	GetRequest(ctx context.Context, id string) (*gate.Request, error)
	// UpdateRequest sets the GitHub objects of a request (check run and
	// comment ids and URLs) that r carries non-zero, so the check run and
	// the comment can be recorded in separate calls; other fields are
	// ignored. ErrNotFound for an unknown id.
	UpdateRequest(ctx context.Context, r *gate.Request) error
	// Vote records v on a pending, unexpired (at v.At) request whose votes do
	// not include v.Login yet, and applies d in the same write. It returns
	// the updated request, or ErrConflict (already final, expired, or this
	// login already voted) or ErrNotFound. Logins compare case-insensitively
	// (GitHub's rule). A final d sets DecidedAt to v.At; d.Status expired is
	// ErrInvalid (expiry goes through Finalize). A non-empty delivery (the
	// webhook delivery that carried the vote) is recorded on the request in
	// the same write, and a Vote whose delivery is already recorded there
	// is ErrConflict: a redelivered vote applies once without a separate
	// MarkDelivery record (one write less per decided request).
	Vote(ctx context.Context, id string, v gate.Vote, d Decide, delivery string) (*gate.Request, error)
	// VoteDelivered reports whether a Vote carrying delivery was recorded on
	// the request id (false for an unknown id or an empty delivery).
	VoteDelivered(ctx context.Context, id, delivery string) (bool, error)
	// Finalize moves a pending request to a final status (allowed, expired,
	// cancelled, or rejected/approved outside a vote). ErrConflict if it is
	// already final. Expiring is allowed only once ExpiresAt has passed at;
	// approving or allowing only before; rejecting and cancelling at any
	// time while pending. DecidedAt becomes at. A non-final d.Status is
	// ErrInvalid.
	Finalize(ctx context.Context, id string, d Decide, at time.Time) (*gate.Request, error)
	// SetResult records the gate's exit code and duration once; ErrConflict
	// if already recorded or the request was not runnable.
	SetResult(ctx context.Context, id string, exitCode int, duration time.Duration) (*gate.Request, error)
	// ListPending lists pending requests of repo for a PR number (pr > 0)
	// or a head SHA (sha != ""), through an index (no scans), oldest first.
	ListPending(ctx context.Context, repo string, pr int, sha string) ([]*gate.Request, error)
	// ListPendingRepo lists all pending requests of a repository (freeze).
	ListPendingRepo(ctx context.Context, repo string) ([]*gate.Request, error)
	// ListExpired lists pending requests that have expired at now
	// (r.ExpiredAt(now): ExpiresAt at or before now), for the sweeper,
	// soonest expiry first, at most limit of them (0: no limit).
	ListExpired(ctx context.Context, now time.Time, limit int) ([]*gate.Request, error)

	// ListDecided lists requests that reached a final status after since
	// (by DecidedAt, oldest first, at most limit), through an index. Each App
	// replica polls it while gates wait, so a decision made on another
	// replica reaches its waiters without one read per waiting gate.
	// "After" is strict (DecidedAt > since). DecidedAt is the deciding
	// replica's clock and dynamo's index is eventually consistent (usually
	// well under a second), so pollers should overlap their windows (since
	// = last poll - a few seconds) and skip ids they already woke.
	ListDecided(ctx context.Context, since time.Time, limit int) ([]*gate.Request, error)

	// Remember puts an allowlist entry (replacing one with the same key).
	Remember(ctx context.Context, e gate.RememberedCommand) error
	// LookupRemembered returns the unexpired entry for the key and counts a
	// hit on it, or ErrNotFound.
	LookupRemembered(ctx context.Context, repo, environment, normalizedSHA256 string, now time.Time) (*gate.RememberedCommand, error)
	// CountApproval counts an eligible approval of a command toward `learn`
	// (reset=true clears the count after a rejection) and returns the count.
	CountApproval(ctx context.Context, repo, environment, normalizedSHA256 string, reset bool, ttl time.Duration, now time.Time) (int, error)

	// AgentCommand counts one command of an AI agent session (key) in a
	// sliding window: if fewer than limit commands were counted in
	// (now-window, now], it counts this one and returns ok with the count
	// including it; otherwise it counts nothing and returns the count
	// found. One item per key, changed with conditional writes, so
	// replicas sharing a store count together.
	AgentCommand(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (count int, ok bool, err error)

	// UpdateAgentSession reads the agent session key (a zero AgentSession
	// with Key set when there is none), lets fn change it and stores it if
	// fn returns true, as one conditional write: fn may run again on a
	// fresh copy when another replica wrote in between. It returns what is
	// stored. Items live for ttl after their last write.
	UpdateAgentSession(ctx context.Context, key string, ttl time.Duration, now time.Time, fn func(*gate.AgentSession) bool) (*gate.AgentSession, error)

	// AppendAudit seals e onto the repository's hash chain (assigning Seq,
	// PrevHash and Hash) and stores it. Safe under concurrent appends.
	AppendAudit(ctx context.Context, e gate.AuditEvent) (gate.AuditEvent, error)
	// SealDecision seals r's PendingAudit onto its repository's chain and
	// clears it from the request; nil at once when r has none. r must be
	// current (as the decision write or a consistent read returned it). After a
	// crash between the two steps a later SealDecision seals it again, so
	// a decision's event is in the chain at least once, never zero times.
	SealDecision(ctx context.Context, r *gate.Request) error
	// ListAudit returns events in chain order: of repo ("" = all
	// repositories, repository by repository), at or after since.
	ListAudit(ctx context.Context, repo string, since time.Time) ([]gate.AuditEvent, error)

	// MarkDelivery records a webhook delivery id; first is false when it was
	// already seen within ttl (a redelivery).
	MarkDelivery(ctx context.Context, deliveryID string, ttl time.Duration, now time.Time) (first bool, err error)

	// SetFreeze sets or clears a repository's freeze flag.
	SetFreeze(ctx context.Context, f gate.Freeze) error
	// GetFreeze returns the flag (Frozen false when never set).
	GetFreeze(ctx context.Context, repo string) (gate.Freeze, error)

	// Close releases the store.
	Close() error
}
