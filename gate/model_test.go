package gate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCommandHashBindsEveryField(t *testing.T) {
	t.Parallel()
	base := CommandHash("make deploy", "bash", "infra")
	variants := map[string]string{
		"command":     CommandHash("make deploy ", "bash", "infra"),
		"shell":       CommandHash("make deploy", "sh", "infra"),
		"workdir":     CommandHash("make deploy", "bash", "infra/"),
		"field shift": CommandHash("make deploybash", "", "infra"),
	}
	for name, h := range variants {
		if h == base {
			t.Errorf("changing the %s does not change the hash", name)
		}
	}
	if again := CommandHash("make deploy", "bash", "infra"); again != base || len(base) != 64 {
		t.Errorf("hash not stable or not hex SHA-256: %q vs %q", again, base)
	}
}

func TestRequestIDIsDerivedFromKey(t *testing.T) {
	t.Parallel()
	k1 := IdempotencyKey(1, 2, 1, "deploy", "__run", CommandHash("ls", "bash", ""))
	k2 := IdempotencyKey(1, 2, 2, "deploy", "__run", CommandHash("ls", "bash", ""))
	if RequestID(k1) != RequestID(k1) {
		t.Fatal("RequestID not deterministic")
	}
	if RequestID(k1) == RequestID(k2) {
		t.Fatal("a new run attempt must be a new request")
	}
	if id := RequestID(k1); !strings.HasPrefix(id, "sg_") || len(id) != 27 {
		t.Errorf("RequestID = %q, want sg_ + 24 base32 chars", id)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	for s, want := range map[Status][2]bool{
		StatusPending:   {false, false},
		StatusAllowed:   {true, true},
		StatusApproved:  {true, true},
		StatusRejected:  {true, false},
		StatusExpired:   {true, false},
		StatusCancelled: {true, false},
	} {
		if got := [2]bool{s.Final(), s.Runnable()}; got != want {
			t.Errorf("%s: Final, Runnable = %v, want %v", s, got, want)
		}
	}
}

func chain(n int) []AuditEvent {
	var evs []AuditEvent
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < n; i++ {
		e := AuditEvent{Repo: "acme/app", At: t0.Add(time.Duration(i) * time.Second), Type: EventApproval, Actor: "alice", Details: map[string]string{"i": string(rune('a' + i))}}
		var prev *AuditEvent
		if i > 0 {
			prev = &evs[i-1]
		}
		e.Seal(prev)
		evs = append(evs, e)
	}
	return evs
}

func TestVerifyChain(t *testing.T) {
	t.Parallel()
	if err := VerifyChain(chain(5)); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	edited := chain(5)
	edited[2].Actor = "mallory"
	removed := chain(5)
	removed = append(removed[:3], removed[4:]...)
	relinked := chain(5)
	relinked[3].PrevHash = relinked[1].Hash
	relinked[3].Hash = relinked[3].ChainHash()
	for name, tc := range map[string]struct {
		evs     []AuditEvent
		wantSeq int64
	}{"edited": {edited, 3}, "removed": {removed, 5}, "relinked": {relinked, 4}} {
		var ce *ChainError
		if err := VerifyChain(tc.evs); !errors.As(err, &ce) || ce.Seq != tc.wantSeq {
			t.Errorf("%s: VerifyChain = %v, want a break at event %d", name, err, tc.wantSeq)
		}
	}
}
