package server_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

// BenchmarkDeploymentDecisionToReview measures a job-level gate's decision
// reaching GitHub: from the approving click's webhook being sent (signed,
// over loopback) to the review call (POST …/deployment_protection_rule)
// arriving at the GitHub stand-in. In between: signature check, the
// approver's re-check against GitHub (permission, team membership), the
// conditional vote write (bolt, no fsync) and the review call itself, made
// first after the decision. The check run and comment updates follow it.
//
//	go test -run '^$' -bench DeploymentDecisionToReview -benchtime 200x ./app/server/
func BenchmarkDeploymentDecisionToReview(b *testing.B) {
	h := newDeployHarness(b, deployPolicy)
	h.gs.SetTeamMember("acme", "sre", "sam", "active")
	h.gs.SetPermission(deployRepo, "sam", "write")
	var samples []time.Duration
	for b.Loop() {
		b.StopTimer()
		run := h.newRun(ghstandin.WorkflowRun{})
		if code, body := h.deploy(run, "production", ""); code != 200 {
			b.Fatalf("deploy: %d %s", code, body)
		}
		req := h.pending()
		b.StartTimer()
		sent := time.Now()
		if code, err := h.gs.ClickAction(deployRepo, req.CheckRunID, "approve", "sam"); err != nil || code != 200 {
			b.Fatalf("click: %d %v", code, err)
		}
		rv := h.waitReview(run.ID)
		if rv.State != "approved" {
			b.Fatalf("review %+v", rv)
		}
		samples = append(samples, rv.Time.Sub(sent))
	}
	slices.Sort(samples)
	q := func(p float64) float64 { return float64(samples[int(p*float64(len(samples)-1))].Nanoseconds()) }
	b.ReportMetric(q(0.5), "median-ns")
	b.ReportMetric(q(0.99), "p99-ns")
	b.ReportMetric(float64(len(samples)), "samples")
}
