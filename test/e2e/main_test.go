// Package e2e tests stepgate as it is deployed: real `stepgate serve`
// processes (two replicas sharing one DynamoDB table on the dynalite
// endpoint in STEPGATE_TEST_DYNAMODB_ENDPOINT) behind a loopback failover
// proxy, real `stepgate action` processes given the runner's environment
// contract, the GitHub stand-in (validated against GitHub's OpenAPI
// description when node_modules is there, which CI requires) delivering
// signed webhooks, and a local OIDC issuer playing the Actions token service.
//
// Without the DynamoDB endpoint the suite skips locally and fails in CI.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// env is what TestMain prepared for every test.
type env struct {
	bin      string // the stepgate binary built once
	dynamo   string // STEPGATE_TEST_DYNAMODB_ENDPOINT
	buildErr error
}

// suite is set once by TestMain before any test runs and never changed.
var suite env

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	suite.dynamo = os.Getenv("STEPGATE_TEST_DYNAMODB_ENDPOINT")
	if suite.dynamo == "" && os.Getenv("CI") != "true" {
		return m.Run() // every test skips; do not spend a build on it
	}
	dir, err := os.MkdirTemp("", "stepgate-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	suite.bin = filepath.Join(dir, "stepgate")
	start := time.Now()
	out, err := exec.Command("go", "build", "-o", suite.bin, "github.com/stepgate/stepgate/cmd/stepgate").CombinedOutput()
	if err != nil {
		suite.buildErr = fmt.Errorf("go build ./cmd/stepgate: %v\n%s", err, out)
	} else {
		fmt.Fprintf(os.Stderr, "e2e: built stepgate in %s\n", time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// requireSuite skips (locally) or fails (CI) when the suite cannot run.
func requireSuite(t *testing.T) {
	t.Helper()
	if suite.dynamo == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STEPGATE_TEST_DYNAMODB_ENDPOINT is not set; scripts/test.sh starts dynalite and sets it")
		}
		t.Skip("STEPGATE_TEST_DYNAMODB_ENDPOINT is not set (run ./scripts/test.sh)")
	}
	if suite.buildErr != nil {
		t.Fatal(suite.buildErr)
	}
}
