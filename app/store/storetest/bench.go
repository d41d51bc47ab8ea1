package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// Units reports a backend's consumed read and write units so far; nil for
// backends that have none.
type Units func() (read, write float64)

// Lifecycle runs the store calls the App makes for one approved request,
// b.N times: create, audit requested, vote that approves, audit approved,
// result, audit executed, and one GetRequest for the long-poll. It reports
// lifecycles/s and, with units, read and write units per lifecycle.
//
// With several stores (App replicas on one table) the calls go round-robin
// across them, call by call: the worst case, where no replica ever wrote
// the previous audit event itself.
func Lifecycle(b *testing.B, units Units, replicas ...store.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	var r0, w0 float64
	if units != nil {
		r0, w0 = units()
	}
	b.ResetTimer()
	for i := range b.N {
		if err := lifecycle(ctx, roundRobin(replicas), fmt.Sprintf("bench-%d-%d", now.UnixNano(), i), now); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lifecycles/s")
	if units != nil {
		r1, w1 := units()
		b.ReportMetric((r1-r0)/float64(b.N), "reads/lifecycle")
		b.ReportMetric((w1-w0)/float64(b.N), "writes/lifecycle")
	}
}

// roundRobin returns the next replica on every call.
func roundRobin(replicas []store.Store) func() store.Store {
	i := 0
	return func() store.Store {
		i++
		return replicas[i%len(replicas)]
	}
}

func lifecycle(ctx context.Context, next func() store.Store, key string, now time.Time) error {
	r := NewRequest(key, "acme/bench", 12, "0123abcd", now, 30*time.Minute)
	r, _, err := next().CreateRequest(ctx, r)
	if err != nil {
		return err
	}
	audit := func(typ, actor string, details map[string]string) error {
		_, err := next().AppendAudit(ctx, gate.AuditEvent{Repo: r.Repo, At: now, Type: typ, RequestID: r.ID, Actor: actor, Details: details})
		return err
	}
	if err := audit(gate.EventRequested, r.Actor, map[string]string{"risk": r.RiskLevel, "rule": r.Rule}); err != nil {
		return err
	}
	v := gate.Vote{Login: "alice", Approve: true, Channel: "check_run", Satisfied: []string{"team:acme/dba"}, At: now.Add(time.Second)}
	if _, err := next().Vote(ctx, r.ID, v, store.Decide{Status: gate.StatusApproved, DecidedBy: []string{"alice"}}, ""); err != nil {
		return err
	}
	if err := audit(gate.EventApproved, "alice", map[string]string{"channel": "check_run"}); err != nil {
		return err
	}
	if _, err := next().GetRequest(ctx, r.ID); err != nil {
		return err
	}
	if _, err := next().SetResult(ctx, r.ID, 0, 2*time.Second); err != nil {
		return err
	}
	return audit(gate.EventExecuted, r.Actor, map[string]string{"exit_code": "0"})
}

// LifecycleParallel runs Lifecycle's calls from many goroutines at once
// (b.SetParallelism scales them), the way an App serves many gates.
func LifecycleParallel(b *testing.B, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	var seq atomic.Int64
	one := func() store.Store { return s }
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("pbench-%d-%d", now.UnixNano(), seq.Add(1))
			if err := lifecycle(ctx, one, key, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lifecycles/s")
}
