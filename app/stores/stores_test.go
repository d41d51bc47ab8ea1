package stores_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/app/stores"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		want    stores.Spec
		wantErr bool
	}{
		{"", stores.Spec{Kind: "bolt", Arg: "stepgate.db"}, false},
		{"bolt:/var/lib/stepgate.db", stores.Spec{Kind: "bolt", Arg: "/var/lib/stepgate.db"}, false},
		{"dynamodb:stepgate", stores.Spec{Kind: "dynamodb", Arg: "stepgate"}, false},
		{"dynamodb:", stores.Spec{}, true},
		{"bolt", stores.Spec{}, true},
		{"redis:localhost", stores.Spec{}, true},
		{"stepgate.db", stores.Spec{}, true},
	}
	for _, tc := range tests {
		got, err := stores.ParseSpec(tc.spec)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v (error %v)", tc.spec, got, err, tc.want, tc.wantErr)
		}
		if err != nil && (!strings.Contains(err.Error(), "STEPGATE_STORE") || !strings.Contains(err.Error(), "dynamodb:TABLE")) {
			t.Errorf("ParseSpec(%q) error %q does not name STEPGATE_STORE and the accepted forms", tc.spec, err)
		}
	}
}

func TestOpenBolt(t *testing.T) {
	t.Parallel()
	s, err := stores.Open(context.Background(), "bolt:"+filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := stores.Open(context.Background(), "nope"); err == nil {
		t.Fatal("Open(nope) succeeded")
	}
}

// TestOpenDynamoFromEnvironment goes through the SDK's config chain the
// way `serve` does: region, endpoint and credentials from the environment.
func TestOpenDynamoFromEnvironment(t *testing.T) {
	ep := os.Getenv("STEPGATE_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STEPGATE_TEST_DYNAMODB_ENDPOINT is not set")
		}
		t.Skip("STEPGATE_TEST_DYNAMODB_ENDPOINT is not set")
	}
	for k, v := range map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_DYNAMODB": ep,
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	table := fmt.Sprintf("stepgate-stores-%d", time.Now().UnixNano())
	s, err := stores.OpenDynamo(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDelivery(ctx, "d1", time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := stores.Open(ctx, "dynamodb:"+table); err != nil {
		t.Fatal(err)
	}
	_, err = stores.Open(ctx, "dynamodb:stepgate-missing-table")
	if err == nil || !strings.Contains(err.Error(), "stepgate store init --store dynamodb:stepgate-missing-table") {
		t.Fatalf("Open on a missing table = %v; want a pointer to store init", err)
	}
}
