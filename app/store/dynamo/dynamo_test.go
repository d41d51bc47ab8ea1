package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"strings"
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

func BenchmarkLifecycle(b *testing.B) {
	s, _ := newStore(b)
	storetest.Lifecycle(b, s, func() (float64, float64) {
		st := s.Stats()
		return st.ReadUnits, st.WriteUnits
	})
	st := s.Stats()
	b.ReportMetric(float64(st.ReadCalls)/float64(b.N), "readcalls/lifecycle")
	b.ReportMetric(float64(st.WriteCalls)/float64(b.N), "writecalls/lifecycle")
}
