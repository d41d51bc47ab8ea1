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
	base := KeyParts{RepoID: 1, RunID: 2, RunAttempt: 1, Job: "deploy", Step: "__run", CommandSHA256: CommandHash("ls", "bash", "")}
	k1 := IdempotencyKey(base)
	next := base
	next.RunAttempt = 2
	k2 := IdempotencyKey(next)
	if RequestID(k1) != RequestID(IdempotencyKey(base)) {
		t.Fatal("RequestID not deterministic")
	}
	if RequestID(k1) == RequestID(k2) {
		t.Fatal("a new run attempt must be a new request")
	}
	if id := RequestID(k1); !strings.HasPrefix(id, "sg_") || len(id) != 27 {
		t.Errorf("RequestID = %q, want sg_ + 24 base32 chars", id)
	}
}

// Every part of the key separates requests, and moving text between
// fields never collides.
func TestIdempotencyKeyCoversEveryPart(t *testing.T) {
	t.Parallel()
	base := KeyParts{RepoID: 1, RunID: 2, RunAttempt: 1, CheckRunID: "9", JobWorkflowRef: "o/r/.github/workflows/d.yml@refs/heads/main",
		JobWorkflowSHA: "abc", Environment: "production", Job: "deploy", JobIndex: "0", Matrix: `{"r":"eu"}`, Step: "s",
		EnvironmentInput: "production", CommandSHA256: "c", Decision: []string{"approvers=team:acme/sre", "timeout=60"}}
	seen := map[string]string{IdempotencyKey(base): "base"}
	for name, edit := range map[string]func(*KeyParts){
		"repo": func(k *KeyParts) { k.RepoID++ }, "run": func(k *KeyParts) { k.RunID++ }, "attempt": func(k *KeyParts) { k.RunAttempt++ },
		"check run": func(k *KeyParts) { k.CheckRunID = "10" }, "workflow": func(k *KeyParts) { k.JobWorkflowRef += "x" },
		"workflow sha": func(k *KeyParts) { k.JobWorkflowSHA = "abd" }, "environment": func(k *KeyParts) { k.Environment = "dev" },
		"job": func(k *KeyParts) { k.Job = "other" }, "job index": func(k *KeyParts) { k.JobIndex = "1" },
		"matrix": func(k *KeyParts) { k.Matrix = `{"r":"us"}` }, "step": func(k *KeyParts) { k.Step = "t" },
		"environment input": func(k *KeyParts) { k.EnvironmentInput = "" }, "command": func(k *KeyParts) { k.CommandSHA256 = "d" },
		"decision": func(k *KeyParts) { k.Decision = k.Decision[:1] },
		"shifted":  func(k *KeyParts) { k.Job, k.JobIndex = "deploy0", "" },
	} {
		k := base
		k.Decision = append([]string(nil), base.Decision...)
		edit(&k)
		key := IdempotencyKey(k)
		if prev, ok := seen[key]; ok {
			t.Errorf("changing %s gives the key of %s", name, prev)
		}
		seen[key] = name
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
