package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// ErrInvalid: the caller passed something no store accepts (a request whose
// id does not match its idempotency key, a Decide with a non-final status).
// It is a programming error, never a lost race.
var ErrInvalid = errors.New("invalid argument")

// The rules below are the one statement of the store's transition semantics.
// bolt applies them inside its write transaction; dynamo expresses the same
// checks as condition expressions and uses these for argument validation.

// CheckCreate validates a request before it is stored and fills the
// defaults a stored request always has (pending status, DecidedAt of a
// request created final).
func CheckCreate(r *gate.Request) error {
	if r == nil || r.ID == "" || r.ID != gate.RequestID(r.IdempotencyKey) {
		return fmt.Errorf("create request: id does not match idempotency key: %w", ErrInvalid)
	}
	if r.Repo == "" {
		return fmt.Errorf("create request: repo is empty: %w", ErrInvalid)
	}
	if r.Status == "" {
		r.Status = gate.StatusPending
	}
	if r.Status.Final() && r.DecidedAt.IsZero() {
		r.DecidedAt = r.CreatedAt
	}
	return nil
}

// SameLogin compares GitHub logins, which are case-insensitive.
func SameLogin(a, b string) bool { return strings.EqualFold(a, b) }

// VoterKey is the form a login is stored in for the one-vote-per-login check.
func VoterKey(login string) string { return strings.ToLower(login) }

// CheckDecide validates the status a Decide carries for Vote (pending, or a
// final status other than expired) or Finalize (final only).
func CheckDecide(d Decide, finalize bool) error {
	switch {
	case d.Status == gate.StatusExpired && !finalize:
		return fmt.Errorf("vote cannot expire a request: %w", ErrInvalid)
	case finalize && !d.Status.Final():
		return fmt.Errorf("finalize needs a final status, got %q: %w", d.Status, ErrInvalid)
	case !finalize && d.Status != "" && d.Status != gate.StatusPending && !d.Status.Final():
		return fmt.Errorf("unknown status %q: %w", d.Status, ErrInvalid)
	}
	return nil
}

// ApplyVote records v on r and applies d, or returns ErrConflict when r is
// final, expired at v.At, or v.Login already voted.
func ApplyVote(r *gate.Request, v gate.Vote, d Decide) error {
	if err := CheckDecide(d, false); err != nil {
		return err
	}
	if r.Status != gate.StatusPending {
		return fmt.Errorf("vote: request is %s: %w", r.Status, ErrConflict)
	}
	if r.ExpiredAt(v.At) {
		return fmt.Errorf("vote: request expired: %w", ErrConflict)
	}
	for _, old := range r.Votes {
		if SameLogin(old.Login, v.Login) {
			return fmt.Errorf("vote: %s already voted: %w", v.Login, ErrConflict)
		}
	}
	r.Votes = append(r.Votes, v)
	if d.Status.Final() {
		decide(r, d, v.At)
	}
	return nil
}

// FinalizeAllowed reports whether a pending request may move to status at
// at: expiring only once ExpiresAt has passed, approving or allowing only
// before; rejecting and cancelling at any time.
func FinalizeAllowed(r *gate.Request, status gate.Status, at time.Time) bool {
	switch status {
	case gate.StatusExpired:
		return !r.ExpiresAt.IsZero() && !at.Before(r.ExpiresAt)
	case gate.StatusApproved, gate.StatusAllowed:
		return !r.ExpiredAt(at)
	}
	return true
}

// ApplyFinalize moves pending r to d.Status, or returns ErrConflict.
func ApplyFinalize(r *gate.Request, d Decide, at time.Time) error {
	if err := CheckDecide(d, true); err != nil {
		return err
	}
	if r.Status != gate.StatusPending {
		return fmt.Errorf("finalize: request is %s: %w", r.Status, ErrConflict)
	}
	if !FinalizeAllowed(r, d.Status, at) {
		return fmt.Errorf("finalize %s: not allowed at this time: %w", d.Status, ErrConflict)
	}
	decide(r, d, at)
	return nil
}

func decide(r *gate.Request, d Decide, at time.Time) {
	r.Status = d.Status
	r.DecidedAt = at
	r.DecidedBy = append([]string(nil), d.DecidedBy...)
	r.FinalReason = d.Reason
	r.Remembered = d.Remember
	if d.Event != nil {
		ev := *d.Event
		r.PendingAudit = &ev
	}
}

// ApplyResult records the gate's result once on a runnable request.
func ApplyResult(r *gate.Request, exitCode int, duration time.Duration) error {
	if !r.Status.Runnable() {
		return fmt.Errorf("set result: request is %s: %w", r.Status, ErrConflict)
	}
	if r.ExitCode != nil {
		return fmt.Errorf("set result: already recorded: %w", ErrConflict)
	}
	r.ExitCode = &exitCode
	r.DurationMS = duration.Milliseconds()
	return nil
}

// ApplyGitHub copies the GitHub object fields of u that are set onto r, so
// the App can record the check run and the comment in separate calls.
func ApplyGitHub(r, u *gate.Request) {
	if u.CheckRunID != 0 {
		r.CheckRunID = u.CheckRunID
	}
	if u.CheckRunURL != "" {
		r.CheckRunURL = u.CheckRunURL
	}
	if u.CommentID != 0 {
		r.CommentID = u.CommentID
	}
	if u.CommentURL != "" {
		r.CommentURL = u.CommentURL
	}
}

// ValidID reports whether id has the shape gate.RequestID produces. Ids
// arrive in URLs; a malformed one is ErrNotFound without touching the store
// (and cannot make DynamoDB reject an oversized key as a server error).
func ValidID(id string) bool {
	rest, ok := strings.CutPrefix(id, "sg_")
	if !ok || len(rest) != 24 {
		return false
	}
	for _, c := range rest {
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}
