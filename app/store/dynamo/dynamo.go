// Package dynamo is the shared store: one DynamoDB table that many App
// replicas use at once.
//
// Every state change is a single-item conditional write (PutItem or
// UpdateItem with a condition expression), never a transaction, so it runs
// on DynamoDB-compatible servers that lack TransactWriteItems and two
// replicas can never both decide a request. The table layout (single table,
// string pk/sk, three sparse GSIs) is described in deploy/README.md and in
// table.go.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/stepgate/stepgate/app/store"
)

var _ store.Store = (*Store)(nil)

// API is the part of the DynamoDB client the store uses; *dynamodb.Client
// implements it. These are also the only actions the IAM policy in deploy/
// grants (CreateTable, DescribeTable and UpdateTimeToLive only for
// `stepgate store init`).
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// Options configures New.
type Options struct {
	Client API
	Table  string
	// Retention is how long an item outlives its expiry before DynamoDB's
	// TTL deletes it (default 90 days). The audit trail is never deleted.
	Retention time.Duration
	// AuditAttempts bounds the retries of an audit append that lost the
	// race for the next sequence number (default 100).
	AuditAttempts int
}

// Store is the DynamoDB implementation of store.Store.
type Store struct {
	db            API
	table         string
	retention     time.Duration
	auditAttempts int
	stats         counters

	// heads caches each repository's last audit event this process wrote
	// (see AppendAudit).
	mu    sync.Mutex
	heads map[string]auditHead
}

// New returns a store on an existing table (see CreateTable).
func New(opts Options) (*Store, error) {
	if opts.Client == nil || opts.Table == "" {
		return nil, fmt.Errorf("dynamo store: client and table are required: %w", store.ErrInvalid)
	}
	s := &Store{
		db: opts.Client, table: opts.Table, retention: opts.Retention, auditAttempts: opts.AuditAttempts,
		heads: map[string]auditHead{},
	}
	if s.retention <= 0 {
		s.retention = 90 * 24 * time.Hour
	}
	if s.auditAttempts <= 0 {
		s.auditAttempts = 100
	}
	return s, nil
}

// Close is a no-op: the SDK client has nothing to release.
func (s *Store) Close() error { return nil }

// Table returns the table name.
func (s *Store) Table() string { return s.table }

// Stats counts calls and consumed capacity since the store was created.
type Stats struct {
	ReadCalls, WriteCalls int64
	// ReadUnits and WriteUnits are the ConsumedCapacity DynamoDB returned
	// (ReturnConsumedCapacity TOTAL). When a server returns none (some
	// local servers), a call counts 1 read unit per item read (at least 1
	// per call) and 1 write unit per write.
	ReadUnits, WriteUnits float64
}

type counters struct {
	readCalls, writeCalls atomic.Int64
	// milli-units, so fractional units (eventually consistent reads are
	// 0.5) accumulate in an atomic integer.
	readMilli, writeMilli atomic.Int64
}

// Stats returns the counters so far.
func (s *Store) Stats() Stats {
	return Stats{
		ReadCalls:  s.stats.readCalls.Load(),
		WriteCalls: s.stats.writeCalls.Load(),
		ReadUnits:  float64(s.stats.readMilli.Load()) / 1000,
		WriteUnits: float64(s.stats.writeMilli.Load()) / 1000,
	}
}

func (s *Store) countRead(cc *types.ConsumedCapacity, items int) {
	s.stats.readCalls.Add(1)
	units := float64(max(items, 1))
	if cc != nil && cc.CapacityUnits != nil {
		units = *cc.CapacityUnits
	}
	s.stats.readMilli.Add(int64(units * 1000))
}

func (s *Store) countWrite(cc *types.ConsumedCapacity) {
	s.stats.writeCalls.Add(1)
	units := 1.0
	if cc != nil && cc.CapacityUnits != nil {
		units = *cc.CapacityUnits
	}
	s.stats.writeMilli.Add(int64(units * 1000))
}

// isConditionFailed reports a lost conditional write.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// fail turns an SDK error into a store error that is safe to log and show:
// the operation and the DynamoDB error code only, never the message (which
// can carry request ids, ARNs, account ids or the endpoint).
func fail(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("dynamodb %s: %w: %w", op, store.ErrUnavailable, context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("dynamodb %s: %w: %w", op, store.ErrUnavailable, context.DeadlineExceeded)
	case isConditionFailed(err):
		return fmt.Errorf("dynamodb %s: %w", op, store.ErrConflict)
	}
	return fmt.Errorf("dynamodb %s: %s: %w", op, errCode(err), store.ErrUnavailable)
}

// errCode is the DynamoDB error code of err, safe to show.
func errCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return "request failed"
}
