// Package stores opens the store a STEPGATE_STORE spec names: the one
// place that knows both implementations.
package stores

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/app/store/boltstore"
	"github.com/stepgate/stepgate/app/store/dynamo"
)

// Default is the spec used when none is given.
const Default = "bolt:stepgate.db"

// Spec is a parsed store spec.
type Spec struct {
	Kind string // "bolt" or "dynamodb"
	Arg  string // the file path or the table name
}

// ParseSpec parses "bolt:PATH" or "dynamodb:TABLE" ("" means Default).
func ParseSpec(spec string) (Spec, error) {
	if spec == "" {
		spec = Default
	}
	kind, arg, ok := strings.Cut(spec, ":")
	if !ok || arg == "" || (kind != "bolt" && kind != "dynamodb") {
		return Spec{}, fmt.Errorf("STEPGATE_STORE=%q: want bolt:PATH (default %s) or dynamodb:TABLE", spec, Default)
	}
	return Spec{Kind: kind, Arg: arg}, nil
}

// Open opens the store spec names; a DynamoDB table must exist (Ping).
// DynamoDB uses the AWS SDK's own
// configuration chain (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, credentials
// from the environment, files or the instance role) with more retry
// attempts than the default, so throttling is absorbed with backoff.
func Open(ctx context.Context, spec string) (store.Store, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	if sp.Kind == "bolt" {
		return boltstore.Open(boltstore.Options{Path: sp.Arg})
	}
	s, err := OpenDynamo(ctx, sp.Arg)
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenDynamo opens a DynamoDB store on table with the SDK's config chain.
func OpenDynamo(ctx context.Context, table string) (*dynamo.Store, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(8))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration for dynamodb:%s: %w", table, err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("STEPGATE_STORE=dynamodb:%s: no AWS region configured (set AWS_REGION)", table)
	}
	return dynamo.New(dynamo.Options{Client: dynamodb.NewFromConfig(cfg), Table: table})
}
