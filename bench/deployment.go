package main

import (
	"context"
	"fmt"
)

// benchDeployment runs app/server's job-level gate benchmark: an approving
// click's webhook sent → the review call (POST
// /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule)
// received by the GitHub stand-in.
func benchDeployment(ctx context.Context, e *env) ([]row, error) {
	res, line, err := runGoBench(ctx, "./app/server/", "DeploymentDecisionToReview", "-benchtime", fmt.Sprintf("%dx", e.n))
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, b := range res {
		med, p99 := b.metrics["median-ns"]/1e6, b.metrics["p99-ns"]/1e6
		rows = append(rows, row{Figure: "job-level gate: decision → review call to GitHub (bolt, stand-in)", Target: "median ≤ 100 ms",
			Measured: fmt.Sprintf("median %.1f ms, p99 %.1f ms (n=%.0f)", med, p99, b.metrics["samples"]),
			Verdict:  verdict(med <= 100), Command: line,
			Notes: "from the approving check_run click's webhook being sent to the stand-in receiving POST …/deployment_protection_rule; " +
				"includes the signature check, the approver's re-check against GitHub (permission, team), the conditional vote write and the call; " +
				"the App makes no GitHub call while the deployment waits (TestDeploymentRedeliveryAndWaiting)"})
	}
	return rows, nil
}
