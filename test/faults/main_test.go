// Package faults tests stepgate under failure with real processes on
// loopback: the App (a child process wired like `stepgate serve`) killed
// mid-wait, its store (a dynalite child) stopped, the GitHub API answering
// errors and rate limits, webhook redelivery storms, and two reviewers
// deciding at once on two replicas.
package faults

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/benchrig"
)

func TestMain(m *testing.M) {
	benchrig.RunChildIfRequested()
	os.Exit(m.Run())
}

func uniqueTable(t *testing.T) string {
	return "stepgate-faults-" + strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name())) +
		"-" + time.Now().Format("150405.000000")
}
