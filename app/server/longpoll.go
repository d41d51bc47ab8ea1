package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/app/longpoll"
	"github.com/stepgate/stepgate/gate"
)

// pollPort is what package longpoll sees of the Server.
type pollPort struct{ s *Server }

var _ longpoll.App = pollPort{}

func (p pollPort) Now() time.Time { return p.s.now() }

func (p pollPort) Reload(ctx context.Context, id string, repoID int64) (*gate.Request, error) {
	return p.s.life.Load(ctx, id, &lifecycle.Identity{RepoID: repoID}, false)
}

func (p pollPort) Expire(ctx context.Context, r *gate.Request) *gate.Request {
	return p.s.life.Expire(ctx, r)
}

func (p pollPort) Body(r *gate.Request) []byte { return p.s.viewBody(r) }

// ErrorAnswer answers a parked poll's error as the api wrapper does.
func (p pollPort) ErrorAnswer(err error) (int, []byte) {
	var ae *apiError
	if !errors.As(err, &ae) {
		p.s.log.Error("gate api", "route", "get", "err", err)
		ae = errorf(http.StatusInternalServerError, "internal error")
	}
	return ae.code, longpoll.JSONBody(gate.ErrorBody{Error: ae.msg})
}

// Answered counts a parked poll's answer like the api wrapper would; a
// gate that went away counts as code 0, like a vanished waiter on the
// goroutine path.
func (p pollPort) Answered(code int, err error) {
	label := strconv.Itoa(code)
	if err != nil {
		label = "0"
	}
	p.s.metrics.api.WithLabelValues("get", label).Inc()
}

// viewBody is the body handleGet's writeJSON would send for r.
func (s *Server) viewBody(r *gate.Request) []byte { return longpoll.JSONBody(s.life.View(r)) }

// decidedOverlap is how far back each ListDecided poll looks, so decisions
// written by another replica with a slightly skewed clock, or committed just
// after the previous poll, are still seen. Notifying twice is harmless.
const decidedOverlap = 3 * time.Second

// pollDecided wakes waiters for decisions made on other replicas: one store
// query per poll interval, and only while some gate waits here.
func (s *Server) pollDecided(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.poll.Waiting() == 0 {
			continue
		}
		reqs, err := s.store.ListDecided(ctx, s.now().Add(-decidedOverlap), 1000)
		if err != nil {
			if ctx.Err() == nil {
				s.life.CountStoreError("list_decided")
				lifecycle.LoggerFrom(ctx, s.log).WarnContext(ctx, "polling decided requests", "err", err)
			}
			continue
		}
		for _, r := range reqs {
			s.poll.Notify(r.ID, r)
		}
	}
}
