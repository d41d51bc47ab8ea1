package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/store/dynamo"
	"github.com/stepgate/stepgate/app/store/storetest"
	"github.com/stepgate/stepgate/gate"
)

var tableSeq atomic.Int64

// endpoint returns the local DynamoDB-compatible server, skipping outside
// CI when there is none and failing in CI.
func endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("STEPGATE_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STEPGATE_TEST_DYNAMODB_ENDPOINT is not set (scripts/test.sh starts dynalite and sets it)")
		}
		t.Skip("STEPGATE_TEST_DYNAMODB_ENDPOINT is not set; run scripts/test.sh")
	}
	return ep
}

// newStore creates a fresh, uniquely named table.
func newStore(t testing.TB) (*dynamo.Store, *dynamodb.Client) {
	t.Helper()
	client := dynamo.LocalClient(endpoint(t))
	table := fmt.Sprintf("stepgate-test-%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
	s, err := dynamo.New(dynamo.Options{Client: client, Table: table})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.EnsureTable(ctx); err != nil {
		t.Fatalf("creating table: %v", err)
	}
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return s, client
}

func TestConformance(t *testing.T) {
	t.Parallel()
	endpoint(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := newStore(t)
		return s
	})
}

func TestCreateTableWarnsWithoutTTL(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	warnings, err := s.CreateTable(context.Background())
	if err != nil {
		t.Fatalf("CreateTable on an existing table: %v", err)
	}
	if len(warnings) == 0 || !strings.Contains(warnings[0], "already exists") {
		t.Fatalf("warnings = %q; want one saying the table exists", warnings)
	}
	t.Logf("warnings: %q", warnings)
}

func TestErrorsAreSanitised(t *testing.T) {
	t.Parallel()
	client := dynamo.LocalClient(endpoint(t))
	s, err := dynamo.New(dynamo.Options{Client: client, Table: "no-such-table"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GetRequest(context.Background(), gate.RequestID("x"))
	if err == nil || !strings.Contains(err.Error(), store.ErrUnavailable.Error()) {
		t.Fatalf("GetRequest on a missing table = %v; want ErrUnavailable", err)
	}
	t.Logf("sanitised: %v", err)
	for _, leak := range []string{"127.0.0.1", "http", "RequestID", "arn:", "no-such-table"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error %q leaks %q", err, leak)
		}
	}
}

// TestVerifyDetectsTampering edits and deletes audit items with the SDK
// directly, the way someone with table access would.
func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		tamper     func(ctx context.Context, c *dynamodb.Client, table string) error
		wantSeq    int64
		wantReason string
	}{
		{"edit", func(ctx context.Context, c *dynamodb.Client, table string) error {
			out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: auditKey(3)})
			if err != nil {
				return err
			}
			ev := out.Item["ev"].(*types.AttributeValueMemberS).Value
			out.Item["ev"] = &types.AttributeValueMemberS{Value: strings.Replace(ev, `"actor":"alice"`, `"actor":"mallory"`, 1)}
			_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: out.Item})
			return err
		}, 3, "edited"},
		{"delete", func(ctx context.Context, c *dynamodb.Client, table string) error {
			_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: auditKey(2)})
			return err
		}, 3, "removed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, client := newStore(t)
			for range 5 {
				for _, repo := range []string{"acme/api", "acme/other"} {
					e := gate.AuditEvent{Repo: repo, At: time.Now(), Type: gate.EventApproval, Actor: "alice"}
					if _, err := s.AppendAudit(ctx, e); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := tc.tamper(ctx, client, s.Table()); err != nil {
				t.Fatal(err)
			}
			broken, err := store.VerifyAudit(ctx, s, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(broken) != 1 || broken[0].Repo != "acme/api" || broken[0].Seq != tc.wantSeq || !strings.Contains(broken[0].Reason, tc.wantReason) {
				t.Fatalf("VerifyAudit = %v; want acme/api broken at %d (%s)", broken, tc.wantSeq, tc.wantReason)
			}
		})
	}
}

func auditKey(seq int64) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "AUDIT#acme/api"},
		"sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("%020d", seq)},
	}
}

// BenchmarkLifecycle measures one replica, and two replicas sharing the
// table with every call on the other replica than the one before.
func BenchmarkLifecycle(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			s, client := newStore(b)
			replicas := []store.Store{s}
			all := []*dynamo.Store{s}
			for range n - 1 {
				r, err := dynamo.New(dynamo.Options{Client: client, Table: s.Table()})
				if err != nil {
					b.Fatal(err)
				}
				replicas, all = append(replicas, r), append(all, r)
			}
			total := func() (st dynamo.Stats) {
				for _, r := range all {
					x := r.Stats()
					st.ReadCalls, st.WriteCalls = st.ReadCalls+x.ReadCalls, st.WriteCalls+x.WriteCalls
					st.ReadUnits, st.WriteUnits = st.ReadUnits+x.ReadUnits, st.WriteUnits+x.WriteUnits
				}
				return st
			}
			before := total()
			storetest.Lifecycle(b, func() (float64, float64) {
				st := total()
				return st.ReadUnits, st.WriteUnits
			}, replicas...)
			st := total()
			b.ReportMetric(float64(st.ReadCalls-before.ReadCalls)/float64(b.N), "readcalls/lifecycle")
			b.ReportMetric(float64(st.WriteCalls-before.WriteCalls)/float64(b.N), "writecalls/lifecycle")
		})
	}
}

// TestTwoReplicasAudit runs the races of the conformance suite across two
// store instances on one table, the way two App replicas share it.
func TestTwoReplicasAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, client := newStore(t)
	b, err := dynamo.New(dynamo.Options{Client: client, Table: a.Table()})
	if err != nil {
		t.Fatal(err)
	}
	replicas := []*dynamo.Store{a, b}
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				e := gate.AuditEvent{Repo: "acme/api", At: time.Now(), Type: gate.EventApproval, Actor: fmt.Sprintf("w%d-%d", w, i)}
				if _, err := replicas[(w+i)%2].AppendAudit(ctx, e); err != nil {
					t.Errorf("AppendAudit: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	events, err := a.ListAudit(ctx, "acme/api", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 100 {
		t.Fatalf("%d events, want 100", len(events))
	}
	if err := gate.VerifyChain(events); err != nil {
		t.Fatalf("chain written by two replicas: %v", err)
	}
}

func TestTwoReplicasVote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, client := newStore(t)
	b, err := dynamo.New(dynamo.Options{Client: client, Table: a.Table()})
	if err != nil {
		t.Fatal(err)
	}
	replicas := []*dynamo.Store{a, b}
	var wg sync.WaitGroup
	r := storetest.NewRequest("two", "acme/api", 1, "abc", time.Now(), time.Hour)
	if _, _, err := a.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	wins := 0
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := gate.Vote{Login: fmt.Sprintf("u%d", i), Approve: true, Channel: "check_run", At: time.Now()}
			_, err := replicas[i%2].Vote(ctx, r.ID, v, store.Decide{Status: gate.StatusApproved, DecidedBy: []string{v.Login}}, "")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, store.ErrConflict) {
				t.Errorf("Vote: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := b.GetRequest(ctx, r.ID)
	if err != nil || wins != 1 || got.Status != gate.StatusApproved || len(got.Votes) != 1 {
		t.Fatalf("50 deciding votes on two replicas: %d won, final %+v, %v", wins, got, err)
	}
}
