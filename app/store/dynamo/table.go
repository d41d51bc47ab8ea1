package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepgate/stepgate/app/store"
)

// Table layout. Keep in step with deploy/table.yaml and deploy/README.md.
//
//	item                pk                      sk
//	request             REQ#<id>                REQ
//	audit event         AUDIT#<owner/repo>      <seq, 20 digits>
//	remembered command  REM#<repo>#<env>#<hash> REM
//	learn count         LEARN#<repo>#<env>#<h>  LEARN
//	webhook delivery    DLV#<delivery id>       DLV
//	freeze flag         FREEZE#<owner/repo>     FREEZE
//
// Sparse GSIs on request items (attributes present only in the state the
// index serves, so each index holds only what its query needs):
//
//	gsi1 pending by repo (and PR)  gsi1pk=<repo>        gsi1sk=<pr, 10 digits>#<created ns>#<id>
//	gsi2 pending by head SHA       gsi2pk=<repo>#<sha>  gsi2sk=<created ns>#<id>
//	gsi3 pending by expiry         gsi3pk=PENDING#<0-3> gsi3sk=<expires ns>#<id>
//	     decided by time           gsi3pk=DECIDED#<0-3> gsi3sk=<decided ns>#<id>
//
// gsi3's partitions are write-sharded four ways by a hash of the id, so the
// sweeper's and the wake-up poller's partitions are not hot; readers query
// all four and merge.
const (
	attrPK = "pk"
	attrSK = "sk"

	indexRepo = "gsi1"
	indexSHA  = "gsi2"
	indexTime = "gsi3"

	timeShards = 4
)

var indexes = []string{indexRepo, indexSHA, indexTime}

func tableInput(table string) *dynamodb.CreateTableInput {
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
	}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range indexes {
		attrs = append(attrs,
			types.AttributeDefinition{AttributeName: aws.String(ix + "pk"), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(ix + "sk"), AttributeType: types.ScalarAttributeTypeS})
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix + "pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix + "sk"), KeyType: types.KeyTypeRange},
			},
			// ALL: list results need whole requests, and a second read
			// per item would cost more than the index storage.
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
		BillingMode:            types.BillingModePayPerRequest,
	}
}

// CreateTable creates the table and its indexes (on-demand billing), waits
// until it is ACTIVE and turns on TTL deletion on the `ttl` attribute. An
// existing table is not an error. Warnings (for example a server without
// UpdateTimeToLive: stepgate treats expires_at as authoritative on read, so
// it stays correct, only old items are not deleted) come back as strings.
func (s *Store) CreateTable(ctx context.Context) (warnings []string, err error) {
	_, err = s.db.CreateTable(ctx, tableInput(s.table))
	var inUse *types.ResourceInUseException
	switch {
	case errors.As(err, &inUse):
		warnings = append(warnings, fmt.Sprintf("table %s already exists; left as it is", s.table))
	case err != nil:
		return nil, fail("create table", err)
	}
	w := dynamodb.NewTableExistsWaiter(s.db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 5*time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}, 5*time.Minute); err != nil {
		return warnings, fail("wait for table", err)
	}
	_, err = s.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(s.table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String("ttl"), Enabled: aws.Bool(true),
		},
	})
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("could not enable TTL on attribute ttl (%s); old items are not deleted automatically, which is safe: expiry is checked on read", errCode(err)))
	}
	return warnings, nil
}

// EnsureTable creates the table if it is missing, ignoring warnings. Tests
// and `stepgate demo` use it.
func (s *Store) EnsureTable(ctx context.Context) error {
	_, err := s.CreateTable(ctx)
	return err
}

// Ping checks that the table exists and the credentials can read it (one
// GetItem of a key no item has), so a misconfigured App fails at start
// with a clear message instead of answering 503 to every gate.
func (s *Store) Ping(ctx context.Context) error {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key("PING", "PING"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		s.countRead(nil, 1)
		return fmt.Errorf("dynamodb table %s does not exist: create it with `stepgate store init --store dynamodb:%s` or deploy/table.yaml: %w", s.table, s.table, store.ErrUnavailable)
	case err != nil:
		s.countRead(nil, 1)
		return fail("ping table "+s.table, err)
	}
	s.countRead(out.ConsumedCapacity, 1)
	return nil
}
