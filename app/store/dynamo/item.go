package dynamo

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// reqItem is a request as stored. Fields fixed at creation travel as one
// JSON document (data); everything a conditional write reads or changes is
// its own attribute so a single UpdateItem can check and set it.
type reqItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Data string `dynamodbav:"data"`

	Status string `dynamodbav:"status"`
	// ExpiresAt is unix nanoseconds (math.MaxInt64: never), compared in
	// conditions; exact so both stores agree to the nanosecond.
	ExpiresAt int64 `dynamodbav:"expires_at"`
	// TTL is unix seconds for DynamoDB's lazy TTL deletion, well after expiry.
	TTL int64 `dynamodbav:"ttl,omitempty"`

	Votes       []string `dynamodbav:"votes,omitempty"` // JSON of each gate.Vote
	Voters      []string `dynamodbav:"voters,stringset,omitempty"`
	DecidedAt   int64    `dynamodbav:"decided_at,omitempty"` // unix ns
	DecidedBy   []string `dynamodbav:"decided_by,omitempty"`
	FinalReason string   `dynamodbav:"final_reason,omitempty"`
	Remembered  bool     `dynamodbav:"remembered,omitempty"`
	ExitCode    *int     `dynamodbav:"exit_code,omitempty"`
	DurationMS  int64    `dynamodbav:"duration_ms,omitempty"`

	// PendingAudit is the JSON of the decision's unsealed audit event.
	PendingAudit string `dynamodbav:"pending_audit,omitempty"`

	CheckRunID  int64  `dynamodbav:"check_run_id,omitempty"`
	CheckRunURL string `dynamodbav:"check_run_url,omitempty"`
	CommentID   int64  `dynamodbav:"comment_id,omitempty"`
	CommentURL  string `dynamodbav:"comment_url,omitempty"`

	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK string `dynamodbav:"gsi2sk,omitempty"`
	GSI3PK string `dynamodbav:"gsi3pk,omitempty"`
	GSI3SK string `dynamodbav:"gsi3sk,omitempty"`
}

func requestKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: "REQ#" + id},
		attrSK: &types.AttributeValueMemberS{Value: "REQ"},
	}
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func expiryNanos(t time.Time) int64 {
	if t.IsZero() {
		return math.MaxInt64
	}
	return t.UnixNano()
}

func shard(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % timeShards)
}

func pad(n int64) string { return fmt.Sprintf("%019d", n) }

// pendingIndexKeys are the index attributes of a pending request.
func pendingIndexKeys(r *gate.Request) (g1pk, g1sk, g2pk, g2sk, g3pk, g3sk string) {
	created := pad(nanos(r.CreatedAt)) + "#" + r.ID
	g1pk, g1sk = r.Repo, fmt.Sprintf("%010d#%s", r.PRNumber, created)
	if r.HeadSHA != "" {
		g2pk, g2sk = r.Repo+"#"+r.HeadSHA, created
	}
	g3pk = fmt.Sprintf("PENDING#%d", shard(r.ID))
	g3sk = pad(expiryNanos(r.ExpiresAt)) + "#" + r.ID
	return
}

// decidedIndexKeys are the gsi3 attributes of a decided request.
func decidedIndexKeys(id string, decided time.Time) (pk, sk string) {
	return fmt.Sprintf("DECIDED#%d", shard(id)), pad(nanos(decided)) + "#" + id
}

func (s *Store) ttlFor(r *gate.Request) int64 {
	end := r.ExpiresAt
	if end.IsZero() || end.Before(r.CreatedAt) {
		end = r.CreatedAt
	}
	return end.Add(s.retention).Unix()
}

// encodeRequest builds the item of a new request.
func (s *Store) encodeRequest(r *gate.Request) (map[string]types.AttributeValue, error) {
	fixed := *r
	fixed.Status, fixed.Votes, fixed.DecidedAt, fixed.DecidedBy = "", nil, time.Time{}, nil
	fixed.FinalReason, fixed.Remembered, fixed.ExitCode, fixed.DurationMS = "", false, nil, 0
	fixed.CheckRunID, fixed.CheckRunURL, fixed.CommentID, fixed.CommentURL = 0, "", 0, ""
	fixed.PendingAudit = nil
	data, err := json.Marshal(fixed)
	if err != nil {
		return nil, err
	}
	pending, err := pendingAuditJSON(r.PendingAudit)
	if err != nil {
		return nil, err
	}
	it := reqItem{
		PK: "REQ#" + r.ID, SK: "REQ", Data: string(data),
		Status: string(r.Status), ExpiresAt: expiryNanos(r.ExpiresAt), TTL: s.ttlFor(r),
		DecidedAt: nanos(r.DecidedAt), DecidedBy: r.DecidedBy, FinalReason: r.FinalReason,
		Remembered: r.Remembered, ExitCode: r.ExitCode, DurationMS: r.DurationMS,
		CheckRunID: r.CheckRunID, CheckRunURL: r.CheckRunURL, CommentID: r.CommentID, CommentURL: r.CommentURL,
		PendingAudit: pending,
	}
	for _, v := range r.Votes {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		it.Votes = append(it.Votes, string(b))
		it.Voters = append(it.Voters, store.VoterKey(v.Login))
	}
	if r.Status == gate.StatusPending {
		it.GSI1PK, it.GSI1SK, it.GSI2PK, it.GSI2SK, it.GSI3PK, it.GSI3SK = pendingIndexKeys(r)
	} else {
		it.GSI3PK, it.GSI3SK = decidedIndexKeys(r.ID, r.DecidedAt)
	}
	return attributevalue.MarshalMap(it)
}

// decodeRequest rebuilds a request from its item.
func decodeRequest(av map[string]types.AttributeValue) (*gate.Request, error) {
	var it reqItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, fmt.Errorf("decoding request item: %w", err)
	}
	var r gate.Request
	if err := json.Unmarshal([]byte(it.Data), &r); err != nil {
		return nil, fmt.Errorf("decoding request data: %w", err)
	}
	r.Status = gate.Status(it.Status)
	for _, v := range it.Votes {
		var vote gate.Vote
		if err := json.Unmarshal([]byte(v), &vote); err != nil {
			return nil, fmt.Errorf("decoding vote: %w", err)
		}
		r.Votes = append(r.Votes, vote)
	}
	if it.DecidedAt != 0 {
		r.DecidedAt = time.Unix(0, it.DecidedAt).UTC()
	}
	r.DecidedBy, r.FinalReason, r.Remembered = it.DecidedBy, it.FinalReason, it.Remembered
	r.ExitCode, r.DurationMS = it.ExitCode, it.DurationMS
	r.CheckRunID, r.CheckRunURL, r.CommentID, r.CommentURL = it.CheckRunID, it.CheckRunURL, it.CommentID, it.CommentURL
	if it.PendingAudit != "" {
		r.PendingAudit = new(gate.AuditEvent)
		if err := json.Unmarshal([]byte(it.PendingAudit), r.PendingAudit); err != nil {
			return nil, fmt.Errorf("decoding pending audit event: %w", err)
		}
	}
	return &r, nil
}

func pendingAuditJSON(e *gate.AuditEvent) (string, error) {
	if e == nil {
		return "", nil
	}
	b, err := json.Marshal(e)
	return string(b), err
}
