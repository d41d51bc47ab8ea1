package gate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// ChainHash computes the hash of an event from its content and PrevHash. The
// Hash field itself is excluded. Encoding is canonical JSON (sorted map keys,
// fixed field order, UTC RFC 3339 nanosecond times).
func (e AuditEvent) ChainHash() string {
	c := e
	c.Hash = ""
	c.At = c.At.UTC()
	b, err := json.Marshal(c)
	if err != nil { // cannot happen: every field is plain data
		panic(fmt.Sprintf("encoding audit event: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Seal fills PrevHash and Hash for an event appended after prev (nil for the
// first event of a repository), and its sequence number.
func (e *AuditEvent) Seal(prev *AuditEvent) {
	e.Seq, e.PrevHash = 1, ""
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = e.ChainHash()
}

// ChainError names the first event at which a repository's chain breaks.
type ChainError struct {
	Repo   string
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain of %s broken at event %d: %s", e.Repo, e.Seq, e.Reason)
}

// VerifyChain checks one repository's events, in sequence order: each hash
// matches its content, each links to the one before, and no sequence number
// is missing. It returns a *ChainError for the first break.
func VerifyChain(events []AuditEvent) error {
	for i, e := range events {
		if got := e.ChainHash(); got != e.Hash {
			return &ChainError{Repo: e.Repo, Seq: e.Seq, Reason: "content does not match its hash (edited)"}
		}
		wantSeq, wantPrev := int64(1), ""
		if i > 0 {
			wantSeq, wantPrev = events[i-1].Seq+1, events[i-1].Hash
		}
		if e.Seq != wantSeq {
			return &ChainError{Repo: e.Repo, Seq: e.Seq, Reason: fmt.Sprintf("expected event %d here (removed)", wantSeq)}
		}
		if e.PrevHash != wantPrev {
			return &ChainError{Repo: e.Repo, Seq: e.Seq, Reason: "does not link to the previous event"}
		}
	}
	return nil
}
