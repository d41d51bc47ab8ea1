package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func commandKey(kind, repo, environment, hash string) map[string]types.AttributeValue {
	// Repository names and hex hashes contain no '#', so the environment
	// in the middle cannot make two keys collide.
	return key(kind+"#"+repo+"#"+environment+"#"+hash, kind)
}

// ttlAfter is the TTL attribute (unix seconds) for an item that is dead
// from t on: DynamoDB deletes lazily, so reads still check expires_at.
func (s *Store) ttlAfter(t time.Time) int64 { return t.Add(s.retention).Unix() }

// Remember puts an allowlist entry; hits is its own attribute so a lookup
// can count with ADD.
func (s *Store) Remember(ctx context.Context, e gate.RememberedCommand) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("remember: %w", err)
	}
	item := commandKey("REM", e.Repo, e.Environment, e.NormalizedSHA256)
	item["data"] = &types.AttributeValueMemberS{Value: string(data)}
	item["hits"] = &types.AttributeValueMemberN{Value: fmt.Sprint(e.Hits)}
	item["expires_at"] = &types.AttributeValueMemberN{Value: fmt.Sprint(expiryNanos(e.ExpiresAt))}
	if !e.ExpiresAt.IsZero() {
		item["ttl"] = &types.AttributeValueMemberN{Value: fmt.Sprint(s.ttlAfter(e.ExpiresAt))}
	}
	return s.put(ctx, "remember", item, nil)
}

// LookupRemembered reads the entry (one consistent GetItem) and, only on a
// hit, counts it with a conditional UpdateItem ADD hits. Most lookups miss,
// and a miss then costs a read instead of a (pricier) failed write.
func (s *Store) LookupRemembered(ctx context.Context, repo, environment, hash string, now time.Time) (*gate.RememberedCommand, error) {
	k := commandKey("REM", repo, environment, hash)
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: k, ConsistentRead: aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		s.countRead(nil, 1)
		return nil, fail("lookup remembered", err)
	}
	s.countRead(out.ConsumedCapacity, 1)
	notFound := fmt.Errorf("remembered command: %w", store.ErrNotFound)
	e, err := decodeRemembered(out.Item)
	if err != nil {
		return nil, err
	}
	if e == nil || !now.Before(e.expires) {
		return nil, notFound
	}
	cond := expression.Name(attrPK).AttributeExists().And(expression.Name("expires_at").GreaterThan(expression.Value(now.UnixNano())))
	upd := expression.Add(expression.Name("hits"), expression.Value(1))
	item, err := s.update(ctx, "lookup remembered", k, upd, cond)
	if errors.Is(err, store.ErrConflict) { // replaced or expired since the read
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if e, err = decodeRemembered(item); err != nil {
		return nil, err
	}
	return &e.RememberedCommand, nil
}

type remembered struct {
	gate.RememberedCommand
	expires time.Time // from expires_at; never is far in the future
}

// decodeRemembered returns nil for a missing item.
func decodeRemembered(it map[string]types.AttributeValue) (*remembered, error) {
	if it == nil {
		return nil, nil
	}
	var item struct {
		Data      string `dynamodbav:"data"`
		Hits      int64  `dynamodbav:"hits"`
		ExpiresAt int64  `dynamodbav:"expires_at"`
	}
	if err := attributevalue.UnmarshalMap(it, &item); err != nil {
		return nil, fmt.Errorf("decoding remembered command: %w", err)
	}
	var e remembered
	if err := json.Unmarshal([]byte(item.Data), &e.RememberedCommand); err != nil {
		return nil, fmt.Errorf("decoding remembered command: %w", err)
	}
	e.Hits, e.expires = item.Hits, time.Unix(0, item.ExpiresAt)
	return &e, nil
}

// CountApproval adds one to a live count (one UpdateItem); a count that ran
// out is restarted at 1 with a put conditional on it still being dead, so
// racing restarts do not lose an approval.
func (s *Store) CountApproval(ctx context.Context, repo, environment, hash string, reset bool, ttl time.Duration, now time.Time) (int, error) {
	k := commandKey("LEARN", repo, environment, hash)
	if reset {
		out, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(s.table), Key: k, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		})
		if out != nil {
			s.countWrite(out.ConsumedCapacity)
		} else {
			s.countWrite(nil)
		}
		return 0, fail("reset approval count", err)
	}
	exp := int64(0) // 0: never runs out
	if ttl > 0 {
		exp = now.Add(ttl).UnixNano()
	}
	alive := expression.Name("expires_at").Equal(expression.Value(0)).
		Or(expression.Name("expires_at").GreaterThan(expression.Value(now.UnixNano())))
	for range 3 {
		upd := expression.Add(expression.Name("n"), expression.Value(1)).
			Set(expression.Name("expires_at"), expression.Value(exp))
		if ttl > 0 {
			upd = upd.Set(expression.Name("ttl"), expression.Value(s.ttlAfter(now.Add(ttl))))
		}
		out, err := s.update(ctx, "count approval", k, upd, expression.Name(attrPK).AttributeNotExists().Or(alive))
		if err == nil {
			var item struct {
				N int `dynamodbav:"n"`
			}
			err := attributevalue.UnmarshalMap(out, &item)
			return item.N, err
		}
		if !errors.Is(err, store.ErrConflict) {
			return 0, err
		}
		item := commandKey("LEARN", repo, environment, hash)
		item["n"] = &types.AttributeValueMemberN{Value: "1"}
		item["expires_at"] = &types.AttributeValueMemberN{Value: fmt.Sprint(exp)}
		if ttl > 0 {
			item["ttl"] = &types.AttributeValueMemberN{Value: fmt.Sprint(s.ttlAfter(now.Add(ttl)))}
		}
		dead := expression.Name("expires_at").LessThanEqual(expression.Value(now.UnixNano())).
			And(expression.Name("expires_at").NotEqual(expression.Value(0)))
		err = s.put(ctx, "count approval", item, &dead)
		if err == nil {
			return 1, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return 0, err
		}
	}
	return 0, fmt.Errorf("count approval: %w", store.ErrConflict)
}

// MarkDelivery is one PutItem conditional on the id being new or its
// previous mark having run out.
func (s *Store) MarkDelivery(ctx context.Context, deliveryID string, ttl time.Duration, now time.Time) (bool, error) {
	item := key("DLV#"+deliveryID, "DLV")
	item["expires_at"] = &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(ttl).UnixNano())}
	item["ttl"] = &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(ttl).Unix() + 1)}
	cond := expression.Name(attrPK).AttributeNotExists().Or(expression.Name("expires_at").LessThanEqual(expression.Value(now.UnixNano())))
	err := s.put(ctx, "mark delivery", item, &cond)
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// SetFreeze puts the repository's flag.
func (s *Store) SetFreeze(ctx context.Context, f gate.Freeze) error {
	if f.Repo == "" {
		return fmt.Errorf("set freeze: repo is empty: %w", store.ErrInvalid)
	}
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("set freeze: %w", err)
	}
	item := key("FREEZE#"+f.Repo, "FREEZE")
	item["data"] = &types.AttributeValueMemberS{Value: string(data)}
	return s.put(ctx, "set freeze", item, nil)
}

// GetFreeze reads the flag consistently: a freeze must stop the very next
// request on any replica.
func (s *Store) GetFreeze(ctx context.Context, repo string) (gate.Freeze, error) {
	f := gate.Freeze{Repo: repo}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key("FREEZE#"+repo, "FREEZE"),
		ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		s.countRead(nil, 1)
		return f, fail("get freeze", err)
	}
	s.countRead(out.ConsumedCapacity, 1)
	if d, ok := out.Item["data"].(*types.AttributeValueMemberS); ok {
		if err := json.Unmarshal([]byte(d.Value), &f); err != nil {
			return f, fmt.Errorf("decoding freeze: %w", err)
		}
	}
	return f, nil
}

// put is a PutItem with an optional condition.
func (s *Store) put(ctx context.Context, op string, item map[string]types.AttributeValue, cond *expression.ConditionBuilder) error {
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	if cond != nil {
		expr, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			return fmt.Errorf("%s: building expression: %w", op, err)
		}
		in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expr.Condition(), expr.Names(), expr.Values()
	}
	out, err := s.db.PutItem(ctx, in)
	s.countWrite(consumedPut(out))
	return fail(op, err)
}

// update is a conditional UpdateItem returning the new item;
// ErrConflict when the condition failed.
func (s *Store) update(ctx context.Context, op string, k map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (map[string]types.AttributeValue, error) {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("%s: building expression: %w", op, err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: k,
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues: types.ReturnValueAllNew, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	s.countWrite(consumedUpdate(out))
	if err != nil {
		return nil, fail(op, err)
	}
	return out.Attributes, nil
}
