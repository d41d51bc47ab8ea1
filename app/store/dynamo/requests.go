package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// stringSet marshals as a DynamoDB string set (ADD voters needs an SS).
type stringSet []string

func (s stringSet) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberSS{Value: s}, nil
}

// emptyList marshals as an empty list, the start value of votes.
type emptyList struct{}

func (emptyList) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberL{Value: []types.AttributeValue{}}, nil
}

// CreateRequest is one PutItem conditional on the id being new; a lost
// race reads the winner back.
func (s *Store) CreateRequest(ctx context.Context, r *gate.Request) (*gate.Request, bool, error) {
	if r == nil {
		return nil, false, fmt.Errorf("create request: nil: %w", store.ErrInvalid)
	}
	c := *r
	if err := store.CheckCreate(&c); err != nil {
		return nil, false, err
	}
	item, err := s.encodeRequest(&c)
	if err != nil {
		return nil, false, fmt.Errorf("create request: %w", err)
	}
	out, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:              aws.String(s.table),
		Item:                   item,
		ConditionExpression:    aws.String("attribute_not_exists(pk)"),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	s.countWrite(consumedPut(out))
	if isConditionFailed(err) {
		stored, err := s.GetRequest(ctx, c.ID)
		return stored, false, err
	}
	if err != nil {
		return nil, false, fail("create request", err)
	}
	return &c, true, nil
}

// GetRequest is a strongly consistent GetItem.
func (s *Store) GetRequest(ctx context.Context, id string) (*gate.Request, error) {
	if !store.ValidID(id) {
		return nil, fmt.Errorf("request %q: %w", id, store.ErrNotFound)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(s.table),
		Key:                    requestKey(id),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		s.countRead(nil, 1)
		return nil, fail("get request", err)
	}
	s.countRead(out.ConsumedCapacity, 1)
	if out.Item == nil {
		return nil, fmt.Errorf("request %s: %w", id, store.ErrNotFound)
	}
	return decodeRequest(out.Item)
}

// UpdateRequest sets the GitHub object fields u carries.
func (s *Store) UpdateRequest(ctx context.Context, u *gate.Request) error {
	if u == nil {
		return fmt.Errorf("update request: nil: %w", store.ErrInvalid)
	}
	var upd expression.UpdateBuilder
	set := false
	for name, v := range map[string]any{
		"check_run_id": u.CheckRunID, "check_run_url": u.CheckRunURL,
		"comment_id": u.CommentID, "comment_url": u.CommentURL,
	} {
		if v != int64(0) && v != "" {
			upd, set = upd.Set(expression.Name(name), expression.Value(v)), true
		}
	}
	if !set {
		_, err := s.GetRequest(ctx, u.ID)
		return err
	}
	_, err := s.updateRequest(ctx, "update request", u.ID, upd, expression.Name(attrPK).AttributeExists(), nil)
	return err
}

// Vote is one UpdateItem: append the vote and add the login to the voter
// set, conditional on pending, unexpired and not yet voted; a final d sets
// the status and moves the index entries in the same write.
func (s *Store) Vote(ctx context.Context, id string, v gate.Vote, d store.Decide, delivery string) (*gate.Request, error) {
	if err := store.CheckDecide(d, false); err != nil {
		return nil, err
	}
	vb, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("vote: %w", err)
	}
	cond := expression.Name("status").Equal(expression.Value(string(gate.StatusPending))).And(
		expression.Name("expires_at").GreaterThan(expression.Value(v.At.UnixNano())),
		expression.Not(expression.Name("voters").Contains(store.VoterKey(v.Login))))
	upd := expression.Set(expression.Name("votes"),
		expression.ListAppend(expression.IfNotExists(expression.Name("votes"), expression.Value(emptyList{})),
			expression.Value([]string{string(vb)}))).
		Add(expression.Name("voters"), expression.Value(stringSet{store.VoterKey(v.Login)}))
	if delivery != "" {
		// The delivery id rides on the request item (a string set), so the
		// redelivery check costs no write of its own.
		cond = cond.And(expression.Not(expression.Name(attrDeliveries).Contains(delivery)))
		upd = upd.Add(expression.Name(attrDeliveries), expression.Value(stringSet{delivery}))
	}
	if d.Status.Final() {
		upd = decideUpdate(upd, id, d, v.At)
	}
	return s.updateRequest(ctx, "vote", id, upd, cond, func(r *gate.Request) error { return store.ApplyVote(r, v, d) })
}

// attrDeliveries holds the webhook delivery ids of a request's votes.
const attrDeliveries = "vote_deliveries"

// VoteDelivered is one consistent GetItem of the request's delivery set.
func (s *Store) VoteDelivered(ctx context.Context, id, delivery string) (bool, error) {
	if delivery == "" || !store.ValidID(id) {
		return false, nil
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.table),
		Key:                      requestKey(id),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#d"),
		ExpressionAttributeNames: map[string]string{"#d": attrDeliveries},
		ReturnConsumedCapacity:   types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		s.countRead(nil, 1)
		return false, fail("vote delivered", err)
	}
	s.countRead(out.ConsumedCapacity, 1)
	ss, ok := out.Item[attrDeliveries].(*types.AttributeValueMemberSS)
	if !ok {
		return false, nil
	}
	for _, d := range ss.Value {
		if d == delivery {
			return true, nil
		}
	}
	return false, nil
}

// Finalize is one UpdateItem conditional on pending and, for expiring,
// approving and allowing, on the time relative to expires_at.
func (s *Store) Finalize(ctx context.Context, id string, d store.Decide, at time.Time) (*gate.Request, error) {
	if err := store.CheckDecide(d, true); err != nil {
		return nil, err
	}
	cond := expression.Name("status").Equal(expression.Value(string(gate.StatusPending)))
	switch d.Status {
	case gate.StatusExpired:
		cond = cond.And(expression.Name("expires_at").LessThanEqual(expression.Value(at.UnixNano())))
	case gate.StatusApproved, gate.StatusAllowed:
		cond = cond.And(expression.Name("expires_at").GreaterThan(expression.Value(at.UnixNano())))
	}
	upd := decideUpdate(expression.UpdateBuilder{}, id, d, at)
	return s.updateRequest(ctx, "finalize", id, upd, cond, func(r *gate.Request) error { return store.ApplyFinalize(r, d, at) })
}

// decideUpdate sets the decision fields and moves the request from the
// pending indexes to the decided one.
func decideUpdate(upd expression.UpdateBuilder, id string, d store.Decide, at time.Time) expression.UpdateBuilder {
	g3pk, g3sk := decidedIndexKeys(id, at)
	upd = upd.Set(expression.Name("status"), expression.Value(string(d.Status))).
		Set(expression.Name("decided_at"), expression.Value(at.UnixNano())).
		Set(expression.Name("gsi3pk"), expression.Value(g3pk)).
		Set(expression.Name("gsi3sk"), expression.Value(g3sk)).
		Remove(expression.Name("gsi1pk")).Remove(expression.Name("gsi1sk")).
		Remove(expression.Name("gsi2pk")).Remove(expression.Name("gsi2sk"))
	if len(d.DecidedBy) > 0 {
		upd = upd.Set(expression.Name("decided_by"), expression.Value(d.DecidedBy))
	}
	if d.Reason != "" {
		upd = upd.Set(expression.Name("final_reason"), expression.Value(d.Reason))
	}
	if d.Remember {
		upd = upd.Set(expression.Name("remembered"), expression.Value(true))
	}
	if d.Event != nil {
		// The decision's audit event rides in the same conditional write.
		if ev, err := pendingAuditJSON(d.Event); err == nil {
			upd = upd.Set(expression.Name("pending_audit"), expression.Value(ev))
		}
	}
	return upd
}

// SealDecision appends r's pending event (one write, the chain head cached)
// and removes it from the request (one UpdateItem, conditional on it being
// there, so a concurrent sealer's removal is no error).
func (s *Store) SealDecision(ctx context.Context, r *gate.Request) error {
	if r.PendingAudit == nil {
		return nil
	}
	if _, err := s.AppendAudit(ctx, *r.PendingAudit); err != nil {
		return err
	}
	expr, err := expression.NewBuilder().WithUpdate(expression.Remove(expression.Name("pending_audit"))).
		WithCondition(expression.Name("pending_audit").AttributeExists()).Build()
	if err != nil {
		return err
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: requestKey(r.ID),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if out != nil {
		s.countWrite(out.ConsumedCapacity)
	} else {
		s.countWrite(nil)
	}
	if isConditionFailed(err) {
		return nil
	}
	return fail("seal decision", err)
}

// SetResult is one UpdateItem conditional on a runnable status and no
// result yet.
func (s *Store) SetResult(ctx context.Context, id string, exitCode int, duration time.Duration) (*gate.Request, error) {
	cond := expression.Name("status").In(expression.Value(string(gate.StatusApproved)), expression.Value(string(gate.StatusAllowed))).
		And(expression.Name("exit_code").AttributeNotExists())
	upd := expression.Set(expression.Name("exit_code"), expression.Value(exitCode)).
		Set(expression.Name("duration_ms"), expression.Value(duration.Milliseconds()))
	return s.updateRequest(ctx, "set result", id, upd, cond, func(r *gate.Request) error { return store.ApplyResult(r, exitCode, duration) })
}

// updateRequest runs one conditional UpdateItem on a request and returns
// the new state. When the condition fails it reads the request to tell
// ErrNotFound from ErrConflict, and explain (the same rule bolt applies)
// says why.
func (s *Store) updateRequest(ctx context.Context, op, id string, upd expression.UpdateBuilder, cond expression.ConditionBuilder, explain func(*gate.Request) error) (*gate.Request, error) {
	if !store.ValidID(id) {
		return nil, fmt.Errorf("request %q: %w", id, store.ErrNotFound)
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond.And(expression.Name(attrPK).AttributeExists())).Build()
	if err != nil {
		return nil, fmt.Errorf("%s: building expression: %w", op, err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       requestKey(id),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllNew,
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	s.countWrite(consumedUpdate(out))
	if isConditionFailed(err) {
		cur, gerr := s.GetRequest(ctx, id)
		if gerr != nil {
			return nil, gerr
		}
		if explain != nil {
			if e := explain(cur); errors.Is(e, store.ErrConflict) {
				return nil, e
			}
		}
		return nil, fmt.Errorf("%s %s: %w", op, id, store.ErrConflict)
	}
	if err != nil {
		return nil, fail(op, err)
	}
	return decodeRequest(out.Attributes)
}

func consumedPut(out *dynamodb.PutItemOutput) *types.ConsumedCapacity {
	if out == nil {
		return nil
	}
	return out.ConsumedCapacity
}

func consumedUpdate(out *dynamodb.UpdateItemOutput) *types.ConsumedCapacity {
	if out == nil {
		return nil
	}
	return out.ConsumedCapacity
}
