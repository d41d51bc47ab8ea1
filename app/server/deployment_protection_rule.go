package server

import (
	"context"
	"log/slog"

	"github.com/stepgate/stepgate/app/lifecycle"
)

// onDeploymentProtectionRule handles deployment_protection_rule: a job
// waits for the App's answer to deploy (app/lifecycle/deployment.go).
func (s *Server) onDeploymentProtectionRule(ctx context.Context, log *slog.Logger, payload []byte) (string, error) {
	var e lifecycle.DeploymentEvent
	if err := decodePayload(payload, &e); err != nil {
		return "bad_payload", nil
	}
	return s.life.Deployment(ctx, log, e)
}
