package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// Audit events are items pk=AUDIT#<repo>, sk=<seq, 20 digits>; ev holds
// the event's JSON exactly as sealed, so the hash can be recomputed.

func auditPK(repo string) string { return "AUDIT#" + repo }

func seqSK(seq int64) string { return fmt.Sprintf("%020d", seq) }

// AppendAudit seals e after the repository's last event and puts it at the
// next sequence number, conditional on that number being free. Two
// appenders racing for one number: one wins, the other re-reads the head
// and tries the next.
//
// The head is cached per process, so with one replica an append costs one
// write and no read. With several replicas appending to the same
// repository a cached head is often stale, and a stale head costs a failed
// conditional write (billed like a write) plus the read anyway; so a
// repository whose cached head turned out stale is read first for a while
// (contendedFor) instead: one read and one write per append.
func (s *Store) AppendAudit(ctx context.Context, e gate.AuditEvent) (gate.AuditEvent, error) {
	if e.Repo == "" {
		return e, fmt.Errorf("append audit: repo is empty: %w", store.ErrInvalid)
	}
	for attempt := range s.auditAttempts {
		prev, cached, err := s.auditHead(ctx, e.Repo)
		if err != nil {
			return e, err
		}
		sealed := e
		sealed.Seal(prev)
		ok, err := s.putAudit(ctx, sealed)
		if err != nil {
			return e, err
		}
		if ok {
			s.setHead(sealed)
			return sealed, nil
		}
		s.staleHead(e.Repo, cached, sealed.Seq)
		if cached {
			continue // retry at once with a fresher head
		}
		// Jittered backoff spreads out writers that keep colliding.
		d := time.Duration(rand.IntN(1+min(attempt, 10)*2)) * time.Millisecond
		select {
		case <-ctx.Done():
			return e, fail("append audit", ctx.Err())
		case <-time.After(d):
		}
	}
	return e, fmt.Errorf("append audit to %s: lost the race %d times: %w", e.Repo, s.auditAttempts, store.ErrConflict)
}

// contendedFor is how long a repository's cached head is not trusted after
// it was found stale.
const contendedFor = time.Minute

// auditHead is one repository's cached chain head.
type auditHead struct {
	ev             gate.AuditEvent
	valid          bool
	contendedUntil time.Time
}

func (s *Store) putAudit(ctx context.Context, e gate.AuditEvent) (bool, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("append audit: %w", err)
	}
	out, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: auditPK(e.Repo)},
			attrSK: &types.AttributeValueMemberS{Value: seqSK(e.Seq)},
			"ev":   &types.AttributeValueMemberS{Value: string(data)},
		},
		ConditionExpression:    aws.String("attribute_not_exists(pk)"),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	s.countWrite(consumedPut(out))
	if isConditionFailed(err) {
		return false, nil
	}
	return err == nil, fail("append audit", err)
}

// auditHead returns the repository's last event (nil: none yet) and
// whether it came from the cache; otherwise it is read with a consistent
// Query for the highest sequence number.
func (s *Store) auditHead(ctx context.Context, repo string) (*gate.AuditEvent, bool, error) {
	s.mu.Lock()
	h := s.heads[repo]
	s.mu.Unlock()
	if h.valid && time.Now().After(h.contendedUntil) {
		return &h.ev, true, nil
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: auditPK(repo)}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
		ConsistentRead:            aws.Bool(true),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		s.countRead(nil, 1)
		return nil, false, fail("read audit head", err)
	}
	s.countRead(out.ConsumedCapacity, len(out.Items))
	if len(out.Items) == 0 {
		return nil, false, nil
	}
	e, err := decodeAudit(out.Items[0])
	if err != nil {
		return nil, false, err
	}
	return &e, false, nil
}

func (s *Store) setHead(e gate.AuditEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.heads[e.Repo]
	if !h.valid || h.ev.Seq < e.Seq {
		h.ev, h.valid = e, true
	}
	s.heads[e.Repo] = h
}

// staleHead handles a lost put at seq. If another goroutine of this process
// took seq, the cache already holds the newer head: retry with it. If the
// head came from the cache and nobody here moved it, another replica
// appends to this repository: stop trusting the cache for a while.
func (s *Store) staleHead(repo string, cached bool, seq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.heads[repo]
	if cached && h.valid && h.ev.Seq >= seq {
		return
	}
	h.valid = false
	if cached {
		h.contendedUntil = time.Now().Add(contendedFor)
	}
	s.heads[repo] = h
}

func decodeAudit(it map[string]types.AttributeValue) (gate.AuditEvent, error) {
	var e gate.AuditEvent
	ev, ok := it["ev"].(*types.AttributeValueMemberS)
	if !ok {
		return e, fmt.Errorf("audit item without event data")
	}
	if err := json.Unmarshal([]byte(ev.Value), &e); err != nil {
		return e, fmt.Errorf("decoding audit event: %w", err)
	}
	return e, nil
}

// ListAudit queries one repository's events in sequence order, or, for
// repo "", scans the table for all of them: export, not a request path.
func (s *Store) ListAudit(ctx context.Context, repo string, since time.Time) ([]gate.AuditEvent, error) {
	var items []map[string]types.AttributeValue
	var err error
	if repo != "" {
		items, err = s.queryAudit(ctx, repo)
	} else {
		items, err = s.scanAudit(ctx)
	}
	if err != nil {
		return nil, err
	}
	out := make([]gate.AuditEvent, 0, len(items))
	for _, it := range items {
		e, err := decodeAudit(it)
		if err != nil {
			return nil, err
		}
		if !e.At.Before(since) {
			out = append(out, e)
		}
	}
	if repo == "" {
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].Repo != out[j].Repo {
				return out[i].Repo < out[j].Repo
			}
			return out[i].Seq < out[j].Seq
		})
	}
	return out, nil
}

func (s *Store) queryAudit(ctx context.Context, repo string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: auditPK(repo)}},
		ConsistentRead:            aws.Bool(true),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	}
	var items []map[string]types.AttributeValue
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			s.countRead(nil, 1)
			return nil, fail("list audit", err)
		}
		s.countRead(page.ConsumedCapacity, len(page.Items))
		items = append(items, page.Items...)
		if page.LastEvaluatedKey == nil {
			return items, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func (s *Store) scanAudit(ctx context.Context) ([]map[string]types.AttributeValue, error) {
	expr, err := expression.NewBuilder().WithFilter(expression.Name(attrPK).BeginsWith("AUDIT#")).Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	}
	var items []map[string]types.AttributeValue
	for {
		page, err := s.db.Scan(ctx, in)
		if err != nil {
			s.countRead(nil, 1)
			return nil, fail("export audit", err)
		}
		s.countRead(page.ConsumedCapacity, len(page.Items))
		for _, it := range page.Items {
			if pk, ok := it[attrPK].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "AUDIT#") {
				items = append(items, it)
			}
		}
		if page.LastEvaluatedKey == nil {
			return items, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
