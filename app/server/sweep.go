package server

import "context"

// SweepOnce expires every overdue request it finds now (tests call it; the
// lifecycle's own ticker runs it every SweepInterval while Run runs).
func (s *Server) SweepOnce(ctx context.Context) int { return s.life.SweepOnce(ctx) }
