package lifecycle

import (
	"context"
	"log/slog"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/gate/policy"
)

// ghReader is what the lifecycle reads from GitHub, never from a request
// body or a webhook payload (security invariants 3 and 10): the default
// branch's policy and CODEOWNERS (policyload.go, parsed once per content),
// voters' permissions, team memberships and code ownership (approver.go),
// and the run's pull request (context.go). Each call is counted; the
// caches only spare calls, never decide.
type ghReader struct {
	gh       ghapi.GitHub
	log      *slog.Logger
	now      func() time.Time
	metrics  *metrics
	policies *policyCache
	facts    *ttlCache[policy.Approver]   // voters' facts, by request and login
	pulls    *ttlCache[ghapi.PullRequest] // pull requests of PR runs, by repo, number and merge commit
}

func newGHReader(gh ghapi.GitHub, log *slog.Logger, now func() time.Time, m *metrics) *ghReader {
	return &ghReader{gh: gh, log: log, now: now, metrics: m,
		policies: newPolicyCache(),
		facts:    newTTLCache[policy.Approver](10000, time.Minute),
		pulls:    newTTLCache[ghapi.PullRequest](2000, 10*time.Minute),
	}
}

func (rd *ghReader) logger(ctx context.Context) *slog.Logger { return LoggerFrom(ctx, rd.log) }
