package benchrig

import (
	"context"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store/dynamo"
)

// opCounter counts DynamoDB calls by operation (Query by index too), so the
// bench can tell request-path reads from the background poller's.
type opCounter struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *opCounter) add(op string) {
	c.mu.Lock()
	c.n[op]++
	c.mu.Unlock()
}

func (c *opCounter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// countingAPI wraps the DynamoDB client the store uses.
type countingAPI struct {
	dynamo.API
	ops *opCounter
}

func (c *countingAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.ops.add("GetItem" + keyKind(in.Key))
	return c.API.GetItem(ctx, in, o...)
}

func (c *countingAPI) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.ops.add("PutItem" + keyKind(in.Item))
	return c.API.PutItem(ctx, in, o...)
}

func (c *countingAPI) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.ops.add("UpdateItem" + keyKind(in.Key))
	return c.API.UpdateItem(ctx, in, o...)
}

func (c *countingAPI) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.ops.add("DeleteItem" + keyKind(in.Key))
	return c.API.DeleteItem(ctx, in, o...)
}

func (c *countingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	idx := "table"
	if in.IndexName != nil {
		idx = *in.IndexName
	}
	c.ops.add("Query:" + idx)
	return c.API.Query(ctx, in, o...)
}

func (c *countingAPI) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	c.ops.add("Scan")
	return c.API.Scan(ctx, in, o...)
}

// keyKind names the item by its partition key's prefix ("REQ", "AUDIT"…),
// so the report can say what each call was for.
func keyKind(item map[string]types.AttributeValue) string {
	pk, ok := item["pk"].(*types.AttributeValueMemberS)
	if !ok {
		return ""
	}
	kind, _, _ := strings.Cut(pk.Value, "#")
	if len(kind) > 12 {
		kind = kind[:12]
	}
	return "(" + kind + ")"
}
