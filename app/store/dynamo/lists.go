package dynamo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// ListPending queries gsi1 (by PR: a sort key prefix) or gsi2 (by SHA).
// GSIs are eventually consistent: a request decided a moment ago can still
// be listed, so results are filtered on their own status, and every action
// on a listed request is a conditional write anyway.
func (s *Store) ListPending(ctx context.Context, repo string, pr int, sha string) ([]*gate.Request, error) {
	var key expression.KeyConditionBuilder
	index := indexRepo
	switch {
	case pr > 0:
		key = expression.Key("gsi1pk").Equal(expression.Value(repo)).
			And(expression.Key("gsi1sk").BeginsWith(fmt.Sprintf("%010d#", pr)))
	case sha != "":
		index = indexSHA
		key = expression.Key("gsi2pk").Equal(expression.Value(repo + "#" + sha))
	default:
		return nil, fmt.Errorf("list pending: need a PR number or a SHA: %w", store.ErrInvalid)
	}
	rs, err := s.query(ctx, "list pending", index, key, 0, true)
	return byCreated(pendingOnly(rs)), err
}

// ListPendingRepo queries the repository's whole gsi1 partition.
func (s *Store) ListPendingRepo(ctx context.Context, repo string) ([]*gate.Request, error) {
	rs, err := s.query(ctx, "list pending repo", indexRepo, expression.Key("gsi1pk").Equal(expression.Value(repo)), 0, true)
	return byCreated(pendingOnly(rs)), err
}

// ListExpired queries each PENDING shard of gsi3 for expiry at or before
// now and merges them.
func (s *Store) ListExpired(ctx context.Context, now time.Time, limit int) ([]*gate.Request, error) {
	var all []*gate.Request
	for i := range timeShards {
		key := expression.Key("gsi3pk").Equal(expression.Value(fmt.Sprintf("PENDING#%d", i))).
			And(expression.Key("gsi3sk").LessThan(expression.Value(pad(now.UnixNano() + 1))))
		rs, err := s.query(ctx, "list expired", indexTime, key, limit, true)
		if err != nil {
			return nil, err
		}
		all = append(all, pendingOnly(rs)...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].ExpiresAt.Equal(all[j].ExpiresAt) {
			return all[i].ExpiresAt.Before(all[j].ExpiresAt)
		}
		return all[i].ID < all[j].ID
	})
	return cut(all, limit), nil
}

// ListDecided queries each DECIDED shard of gsi3 for decisions after since
// and merges them.
func (s *Store) ListDecided(ctx context.Context, since time.Time, limit int) ([]*gate.Request, error) {
	var all []*gate.Request
	for i := range timeShards {
		key := expression.Key("gsi3pk").Equal(expression.Value(fmt.Sprintf("DECIDED#%d", i))).
			And(expression.Key("gsi3sk").GreaterThanEqual(expression.Value(pad(nanos(since) + 1))))
		rs, err := s.query(ctx, "list decided", indexTime, key, limit, true)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].DecidedAt.Equal(all[j].DecidedAt) {
			return all[i].DecidedAt.Before(all[j].DecidedAt)
		}
		return all[i].ID < all[j].ID
	})
	return cut(all, limit), nil
}

// query reads an index, following pages until limit items (0: all).
func (s *Store) query(ctx context.Context, op, index string, key expression.KeyConditionBuilder, limit int, forward bool) ([]*gate.Request, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(key).Build()
	if err != nil {
		return nil, fmt.Errorf("%s: building expression: %w", op, err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(forward),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(limit))
	}
	var out []*gate.Request
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			s.countRead(nil, 1)
			return nil, fail(op, err)
		}
		s.countRead(page.ConsumedCapacity, len(page.Items))
		for _, it := range page.Items {
			r, err := decodeRequest(it)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		if page.LastEvaluatedKey == nil || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func pendingOnly(rs []*gate.Request) []*gate.Request {
	out := rs[:0]
	for _, r := range rs {
		if r.Status == gate.StatusPending {
			out = append(out, r)
		}
	}
	return out
}

func byCreated(rs []*gate.Request) []*gate.Request {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].CreatedAt.Before(rs[j].CreatedAt) })
	return rs
}

func cut(rs []*gate.Request, limit int) []*gate.Request {
	if limit > 0 && len(rs) > limit {
		return rs[:limit]
	}
	return rs
}
