package longpoll

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
	// expirySlack lets a wait end just after the request's expiry, so the
	// look that follows finds it overdue.
	expirySlack = 10 * time.Millisecond
)

// App is what a long-poll needs from the App around it.
type App interface {
	// Now is the App's clock (deadlines and expiry are on it).
	Now() time.Time
	// Reload re-reads request id for a caller of repository repoID; an
	// error is answered through ErrorAnswer.
	Reload(ctx context.Context, id string, repoID int64) (*gate.Request, error)
	// Expire finalizes the overdue pending r and returns the stored outcome.
	Expire(ctx context.Context, r *gate.Request) *gate.Request
	// Body is the JSON answer for r, as the GET handler would write it.
	Body(r *gate.Request) []byte
	// ErrorAnswer is the status and JSON body for a Reload error.
	ErrorAnswer(err error) (code int, body []byte)
	// Answered counts one answer written to a parked connection, by status
	// code ("0" when the gate went away before the write).
	Answered(code int, err error)
}

// Config configures a Poller.
type Config struct {
	App App
	// RecheckInterval is how often a waiting poll re-reads its request, the
	// fallback should a cross-replica wake-up be missed.
	RecheckInterval time.Duration
	// NoParking keeps every poll on its handler goroutine.
	NoParking bool
}

// Poller answers long-polls for a request's decision. Waiting gates are woken
// by Notify; a gate long-polling over HTTP/1.x costs no goroutine while it
// waits: its connection is taken from net/http and parked until the
// decision, the request's expiry or the end of the wait.
type Poller struct {
	app     App
	recheck time.Duration
	noPark  bool
	hub     *hub
}

// New returns a Poller. Polls park only while Run runs.
func New(cfg Config) *Poller {
	return &Poller{app: cfg.App, recheck: cfg.RecheckInterval, noPark: cfg.NoParking, hub: newHub()}
}

// next looks at req as a waiting poll does, on the goroutine and the parked
// path alike: it expires an overdue pending request, and otherwise says how
// long to wait before looking again (≤ 0: answer req now). The wait ends at
// the deadline, at the request's expiry, or after RecheckInterval,
// whichever is first.
func (p *Poller) next(ctx context.Context, req *gate.Request, deadline time.Time) (*gate.Request, time.Duration) {
	if req.Status != gate.StatusPending {
		return req, 0
	}
	now := p.app.Now()
	if req.ExpiredAt(now) {
		return p.app.Expire(ctx, req), 0
	}
	left := deadline.Sub(now)
	if left <= 0 {
		return req, 0
	}
	return req, min(left, p.recheck, req.ExpiresAt.Sub(now)+expirySlack)
}

// Wait waits until deadline (on the App's clock) for the decision of req,
// already checked to be the caller's. It returns the request to answer
// with, or handled when nothing must be written: the connection was parked
// (it is answered from here) or the gate went away.
func (p *Poller) Wait(w http.ResponseWriter, r *http.Request, req *gate.Request, deadline time.Time) (out *gate.Request, handled bool, err error) {
	ctx := r.Context()
	for {
		var wait time.Duration
		if req, wait = p.next(ctx, req, deadline); wait <= 0 {
			return req, false, nil
		}
		if p.park(w, r, req, deadline, wait) {
			return nil, true, nil
		}
		ch, decided, release := p.hub.wait(req.ID)
		wctx, cancel := context.WithTimeout(ctx, wait)
		select {
		case <-ch:
		case <-wctx.Done():
		}
		cancel()
		release()
		if ctx.Err() != nil {
			return nil, true, nil // the gate went away
		}
		if d := decided(); d != nil && d.ID == req.ID {
			req = d // the same request, already bound to the caller
			continue
		}
		if req, err = p.app.Reload(ctx, req.ID, req.RepoID); err != nil {
			return nil, false, err
		}
	}
}

// park takes the connection of a GET that must wait for req's decision and
// hands it to the hub, to be looked at again after wait; it reports whether
// it did. Only plain HTTP/1.x connections can be taken; HTTP/2 streams, and
// polls arriving before Run started or after it stopped, wait on their
// goroutine instead.
func (p *Poller) park(w http.ResponseWriter, r *http.Request, req *gate.Request, deadline time.Time, wait time.Duration) bool {
	if p.noPark || r.ProtoMajor != 1 || r.Method != http.MethodGet || !p.hub.canPark() {
		return false
	}
	// The buffered reader and writer net/http hands over are dropped on
	// purpose: they are what parking saves. Anything the client pipelined
	// after this GET is not served; the answer says Connection: close.
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	pp := &parkedPoll{conn: conn, id: req.ID, repoID: req.RepoID, deadline: deadline, due: time.Now().Add(wait)}
	if !p.hub.park(pp) { // Run stopped meanwhile: answer as it stands
		p.answer(pp, http.StatusOK, p.app.Body(req))
	}
	return true
}

// Run looks at parked polls when they are due, until ctx is done; then it
// stops parking and answers every parked poll 503 (retry), so no gate is
// left hanging on a replica that is going away.
func (p *Poller) Run(ctx context.Context) {
	p.hub.startParking()
	sem := make(chan struct{}, parkWorkers)
	var wg sync.WaitGroup
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		due, next := p.hub.takeDue(time.Now())
		for _, pp := range due {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				p.look(ctx, pp)
			})
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = time.Until(next)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			body := JSONBody(gate.ErrorBody{Error: "server shutting down, retry"})
			for _, pp := range p.hub.stopParking() {
				p.answer(pp, http.StatusServiceUnavailable, body)
			}
			wg.Wait()
			p.hub.busy.Wait()
			return
		case <-p.hub.kick:
		case <-t.C:
		}
	}
}

// look re-reads a parked poll's request, as a waiting handler does after a
// timeout: it answers a decided, expired or overdue one, and parks the poll
// again otherwise.
func (p *Poller) look(ctx context.Context, pp *parkedPoll) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), parkLookTimeout)
	defer cancel()
	req, err := p.app.Reload(ctx, pp.id, pp.repoID)
	if err != nil {
		code, body := p.app.ErrorAnswer(err)
		p.answer(pp, code, body)
		return
	}
	req, wait := p.next(ctx, req, pp.deadline)
	if wait > 0 {
		pp.due = time.Now().Add(wait)
		if p.hub.park(pp) {
			return
		}
	}
	p.answer(pp, http.StatusOK, p.app.Body(req))
}

// Notify wakes the waiters of id with r: goroutine waiters through the hub,
// and, when r is final, parked polls by writing r's body to each (rendered
// once). Notifying twice, or with a request still pending, is harmless.
func (p *Poller) Notify(id string, r *gate.Request) {
	ps := p.hub.notify(id, r)
	if len(ps) == 0 {
		return
	}
	go func() {
		defer p.hub.busy.Done()
		body := p.app.Body(r)
		for _, pp := range ps {
			p.answer(pp, http.StatusOK, body)
		}
	}()
}

// answer writes a complete HTTP/1.1 response to a parked poll and closes
// its connection, counting it through App.Answered. A gate that went away
// makes the write fail.
func (p *Poller) answer(pp *parkedPoll, code int, body []byte) {
	b := make([]byte, 0, 256+len(body))
	b = fmt.Appendf(b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n", code, http.StatusText(code))
	if code == http.StatusServiceUnavailable {
		// At shutdown every parked poll gets this at once: spread the
		// gates over a few seconds instead of bringing them back together.
		b = fmt.Appendf(b, "Retry-After: %d\r\n", retry.RetryAfterSeconds(1, 5))
	}
	b = fmt.Appendf(b, "Date: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", time.Now().UTC().Format(http.TimeFormat), len(body))
	b = append(b, body...)
	_ = pp.conn.SetWriteDeadline(time.Now().Add(parkWriteTimeout))
	_, err := pp.conn.Write(b)
	_ = pp.conn.Close()
	p.app.Answered(code, err)
}

// Waiting is how many gates long-poll here right now (goroutine and parked).
func (p *Poller) Waiting() int { return p.hub.waiting() }

// Parked is how many polls are parked right now.
func (p *Poller) Parked() int { return p.hub.parkedCount() }

// CanPark reports whether Run's dispatcher accepts parked polls.
func (p *Poller) CanPark() bool { return p.hub.canPark() }

// Held reports what the hub keeps: request entries, parked polls and
// waiters counted; all three are zero once nobody waits.
func (p *Poller) Held() (entries, parked, total int) {
	p.hub.mu.Lock()
	defer p.hub.mu.Unlock()
	return len(p.hub.waiters), len(p.hub.due), p.hub.total
}

// JSONBody encodes v as json.Encoder does (with its trailing newline).
func JSONBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"error":"internal error"}` + "\n")
	}
	return append(b, '\n')
}
