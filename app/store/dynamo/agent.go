package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// agentRateAttempts bounds the optimistic retries of one AgentCommand when
// other replicas count the same session at the same moment.
const agentRateAttempts = 10

// AgentCommand counts an agent session's command in a sliding window kept
// in one item: a consistent read, then a put conditional on the version
// read (compare-and-swap), retried when another replica won.
func (s *Store) AgentCommand(ctx context.Context, session string, limit int, window time.Duration, now time.Time) (int, bool, error) {
	if session == "" || limit < 1 || window <= 0 {
		return 0, false, fmt.Errorf("agent command: empty key, limit or window: %w", store.ErrInvalid)
	}
	k := key("AGENTRATE#"+session, "RATE")
	for attempt := range agentRateAttempts {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(s.table), Key: k, ConsistentRead: aws.Bool(true),
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		})
		if err != nil {
			s.countRead(nil, 1)
			return 0, false, fail("agent command", err)
		}
		s.countRead(out.ConsumedCapacity, 1)
		stamps, version, err := decodeRate(out.Item)
		if err != nil {
			return 0, false, err
		}
		stamps, ok := store.SlideWindow(stamps, limit, window, now)
		if !ok {
			return len(stamps), false, nil
		}
		stamps = append(stamps, now.UnixNano())
		data, err := json.Marshal(stamps)
		if err != nil {
			return 0, false, err
		}
		item := key("AGENTRATE#"+session, "RATE")
		item["stamps"] = &types.AttributeValueMemberS{Value: string(data)}
		item["v"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(version+1, 10)}
		item["ttl"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.ttlAfter(now.Add(window)), 10)}
		cond := expression.Name(attrPK).AttributeNotExists()
		if version > 0 {
			cond = expression.Name("v").Equal(expression.Value(version))
		}
		err = s.put(ctx, "agent command", item, &cond)
		if err == nil {
			return len(stamps), true, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return 0, false, err
		}
		// Another replica counted first: read again, after a short pause
		// that grows so a burst spreads out.
		t := time.NewTimer(time.Duration(attempt+1) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, false, fail("agent command", ctx.Err())
		case <-t.C:
		}
	}
	return 0, false, fmt.Errorf("agent command: %d concurrent writers kept winning: %w", agentRateAttempts, store.ErrUnavailable)
}

func decodeRate(it map[string]types.AttributeValue) (stamps []int64, version int64, err error) {
	if it == nil {
		return nil, 0, nil
	}
	if v, ok := it["v"].(*types.AttributeValueMemberN); ok {
		if version, err = strconv.ParseInt(v.Value, 10, 64); err != nil {
			return nil, 0, fmt.Errorf("decoding agent command count: %w", err)
		}
	}
	if s, ok := it["stamps"].(*types.AttributeValueMemberS); ok {
		if err := json.Unmarshal([]byte(s.Value), &stamps); err != nil {
			return nil, 0, fmt.Errorf("decoding agent command count: %w", err)
		}
	}
	return stamps, version, nil
}

// UpdateAgentSession keeps the session as one JSON document with a version:
// a consistent read, fn, and a put conditional on the version read, retried
// when another replica won. expires_at is authoritative on read.
func (s *Store) UpdateAgentSession(ctx context.Context, session string, ttl time.Duration, now time.Time, fn func(*gate.AgentSession) bool) (*gate.AgentSession, error) {
	if session == "" {
		return nil, fmt.Errorf("update agent session: empty key: %w", store.ErrInvalid)
	}
	k := key("AGENTSESSION#"+session, "SESSION")
	for attempt := range agentRateAttempts {
		a, version, err := s.readAgentSession(ctx, k, session, now)
		if err != nil {
			return nil, err
		}
		if !fn(a) {
			return a, nil
		}
		a.Key, a.UpdatedAt = session, now
		data, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		item := key("AGENTSESSION#"+session, "SESSION")
		item["data"] = &types.AttributeValueMemberS{Value: string(data)}
		item["v"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(version+1, 10)}
		item["expires_at"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(ttl).UnixNano(), 10)}
		item["ttl"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.ttlAfter(now.Add(ttl)), 10)}
		cond := expression.Name(attrPK).AttributeNotExists()
		if version > 0 {
			cond = expression.Name("v").Equal(expression.Value(version))
		}
		err = s.put(ctx, "update agent session", item, &cond)
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		t := time.NewTimer(time.Duration(attempt+1) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fail("update agent session", ctx.Err())
		case <-t.C:
		}
	}
	return nil, fmt.Errorf("update agent session: %d concurrent writers kept winning: %w", agentRateAttempts, store.ErrUnavailable)
}

// readAgentSession is the session at key k (empty when absent or expired:
// expires_at is authoritative) and the version to condition the put on.
func (s *Store) readAgentSession(ctx context.Context, k map[string]types.AttributeValue, session string, now time.Time) (*gate.AgentSession, int64, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: k, ConsistentRead: aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		s.countRead(nil, 1)
		return nil, 0, fail("update agent session", err)
	}
	s.countRead(out.ConsumedCapacity, 1)
	a := &gate.AgentSession{Key: session}
	var version int64
	if out.Item == nil {
		return a, 0, nil
	}
	if v, ok := out.Item["v"].(*types.AttributeValueMemberN); ok {
		version, _ = strconv.ParseInt(v.Value, 10, 64)
	}
	exp := int64(0)
	if v, ok := out.Item["expires_at"].(*types.AttributeValueMemberN); ok {
		exp, _ = strconv.ParseInt(v.Value, 10, 64)
	}
	if d, ok := out.Item["data"].(*types.AttributeValueMemberS); ok && exp > now.UnixNano() {
		if err := json.Unmarshal([]byte(d.Value), a); err != nil {
			return nil, 0, fmt.Errorf("decoding agent session: %w", err)
		}
	}
	return a, version, nil
}
