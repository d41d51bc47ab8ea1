package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/internal/retry"
)

const (
	// parkWorkers bounds the looks at parked polls that run at once: due
	// times bunch up (gates that arrived together), and each look costs a
	// goroutine and a store read.
	parkWorkers = 64
	// parkLookTimeout bounds one look (store read, maybe expiring).
	parkLookTimeout = 10 * time.Second
	// parkWriteTimeout bounds writing the answer to a parked connection.
	parkWriteTimeout = 10 * time.Second
)

// park takes the connection of a GET that must wait for req's decision
// until deadline and hands it to the hub; it reports whether it did (the
// handler must then return without writing). Only plain HTTP/1.x
// connections can be taken; HTTP/2 streams, and polls arriving before Run
// started or after it stopped, wait on their goroutine instead.
func (s *Server) park(w http.ResponseWriter, r *http.Request, req *gate.Request, deadline time.Time) bool {
	if s.cfg.NoParking || r.ProtoMajor != 1 || r.Method != http.MethodGet || !s.hub.canPark() {
		return false
	}
	// The buffered reader and writer net/http hands over are dropped on
	// purpose: they are what parking saves. Anything the client pipelined
	// after this GET is not served; the answer says Connection: close.
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	p := &parkedPoll{conn: conn, id: req.ID, repoID: req.RepoID, deadline: deadline, due: s.nextLook(req, deadline)}
	if !s.hub.park(p) { // Run stopped meanwhile: answer as it stands
		s.answer(p, http.StatusOK, s.viewBody(req))
	}
	return true
}

// nextLook is when a parked poll of pending req is looked at again: at the
// end of its wait, at the request's expiry, or after RecheckInterval (the
// fallback should a cross-replica wake-up be missed), whichever is first.
func (s *Server) nextLook(req *gate.Request, deadline time.Time) time.Time {
	now := s.now()
	left := min(deadline.Sub(now), s.cfg.RecheckInterval, req.ExpiresAt.Sub(now)+10*time.Millisecond)
	return time.Now().Add(left)
}

// runParked looks at parked polls when they are due, until ctx is done;
// then it stops parking and answers every parked poll 503 (retry), so no
// gate is left hanging on a replica that is going away.
func (s *Server) runParked(ctx context.Context) {
	s.hub.startParking()
	sem := make(chan struct{}, parkWorkers)
	var wg sync.WaitGroup
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		due, next := s.hub.takeDue(time.Now())
		for _, p := range due {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				s.look(ctx, p)
			})
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = time.Until(next)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			body := jsonBody(gate.ErrorBody{Error: "server shutting down, retry"})
			for _, p := range s.hub.stopParking() {
				s.answer(p, http.StatusServiceUnavailable, body)
			}
			wg.Wait()
			s.hub.busy.Wait()
			return
		case <-s.hub.kick:
		case <-t.C:
		}
	}
}

// look re-reads a parked poll's request, as a waiting handler would after
// a timeout: it answers a decided, expired or overdue one, and parks the
// poll again otherwise.
func (s *Server) look(ctx context.Context, p *parkedPoll) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), parkLookTimeout)
	defer cancel()
	req, err := s.load(ctx, p.id, &Identity{RepoID: p.repoID}, false)
	if err != nil {
		s.answerError(p, err)
		return
	}
	if req.Status == gate.StatusPending && req.ExpiredAt(s.now()) {
		req = s.expire(ctx, req)
	}
	if req.Status == gate.StatusPending && p.deadline.Sub(s.now()) > 0 {
		p.due = s.nextLook(req, p.deadline)
		if s.hub.park(p) {
			return
		}
	}
	s.answer(p, http.StatusOK, s.viewBody(req))
}

// notify wakes the waiters of id with the decided r: goroutine waiters
// through the hub, parked polls by writing r's view to each (rendered once).
func (s *Server) notify(id string, r *gate.Request) {
	ps := s.hub.notify(id, r)
	if len(ps) == 0 {
		return
	}
	go func() {
		defer s.hub.busy.Done()
		body := s.viewBody(r)
		for _, p := range ps {
			s.answer(p, http.StatusOK, body)
		}
	}()
}

// answer writes a complete HTTP/1.1 response to a parked poll and closes
// its connection, counting it like the api wrapper would. A gate that went
// away makes the write fail, counted as code 0 like a vanished waiter on
// the goroutine path.
func (s *Server) answer(p *parkedPoll, code int, body []byte) {
	b := make([]byte, 0, 256+len(body))
	b = fmt.Appendf(b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n", code, http.StatusText(code))
	if code == http.StatusServiceUnavailable {
		// At shutdown every parked poll gets this at once: spread the
		// gates over a few seconds instead of bringing them back together.
		b = fmt.Appendf(b, "Retry-After: %d\r\n", retry.RetryAfterSeconds(1, 5))
	}
	b = fmt.Appendf(b, "Date: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", time.Now().UTC().Format(http.TimeFormat), len(body))
	b = append(b, body...)
	_ = p.conn.SetWriteDeadline(time.Now().Add(parkWriteTimeout))
	_, err := p.conn.Write(b)
	_ = p.conn.Close()
	label := strconv.Itoa(code)
	if err != nil {
		label = "0"
	}
	s.metrics.api.WithLabelValues("get", label).Inc()
}

// answerError answers a parked poll with an error, as the api wrapper does.
func (s *Server) answerError(p *parkedPoll, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.Error("gate api", "route", "get", "err", err)
		ae = errorf(http.StatusInternalServerError, "internal error")
	}
	s.answer(p, ae.code, jsonBody(gate.ErrorBody{Error: ae.msg}))
}

// viewBody is the body handleGet's writeJSON would send for r.
func (s *Server) viewBody(r *gate.Request) []byte { return jsonBody(s.view(r)) }

// jsonBody encodes v as json.Encoder does (with its trailing newline).
func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"error":"internal error"}` + "\n")
	}
	return append(b, '\n')
}
