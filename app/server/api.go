package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
)

// The gate API: each handler decodes its body, hands it to the lifecycle
// with the caller's verified identity, and answers the request's view.

// handleCreate is POST /api/v1/requests: 201 for a new request, 200 for a
// repeat of one the same job created.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, id *lifecycle.Identity) error {
	var body gate.CreateRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		return err
	}
	req, created, err := s.life.Create(r.Context(), id, &body)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, s.life.View(req))
	return nil
}

// handleGet is GET /api/v1/requests/{id}?wait=30s: it answers at once when
// the request is decided, else waits up to wait (at most MaxWait) for the
// decision. Waiting costs no GitHub call; on HTTP/1.x it costs no goroutine
// either: the connection is parked (package longpoll).
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, id *lifecycle.Identity) error {
	wait, err := parseWait(r.URL.Query().Get("wait"), s.cfg.MaxWait)
	if err != nil {
		return err
	}
	ctx := r.Context()
	req, err := s.life.Load(ctx, r.PathValue("id"), id, false)
	if err != nil {
		return err
	}
	// Wake for the decision, the request's own expiry, or a periodic
	// re-read (the fallback should a cross-replica wake-up be missed).
	req, handled, err := s.poll.Wait(w, r, req, s.now().Add(wait))
	if err != nil || handled {
		return err // handled: parked (answered from app/longpoll) or the gate went away
	}
	writeJSON(w, http.StatusOK, s.life.View(req))
	return nil
}

func parseWait(v string, maxWait time.Duration) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, err2 := strconv.Atoi(v)
		if err2 != nil {
			return 0, errorf(http.StatusBadRequest, "wait must be a duration like 30s")
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 {
		return 0, errorf(http.StatusBadRequest, "wait must not be negative")
	}
	return min(d, maxWait), nil
}

// handleResult is POST /api/v1/requests/{id}/result, once per request.
func (s *Server) handleResult(w http.ResponseWriter, r *http.Request, id *lifecycle.Identity) error {
	var rep gate.ResultReport
	if err := decodeJSON(w, r, &rep, false); err != nil {
		return err
	}
	req, err := s.life.Load(r.Context(), r.PathValue("id"), id, true)
	if err != nil {
		return err
	}
	if req, err = s.life.Result(r.Context(), req, id, rep); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.life.View(req))
	return nil
}

// handleCancel is POST /api/v1/requests/{id}/cancel: the workflow was
// cancelled while the gate waited. A decided request stays as it is.
func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request, id *lifecycle.Identity) error {
	var rep gate.CancelReport
	if err := decodeJSON(w, r, &rep, true); err != nil {
		return err
	}
	req, err := s.life.Load(r.Context(), r.PathValue("id"), id, true)
	if err != nil {
		return err
	}
	if req, err = s.life.Cancel(r.Context(), req, id, rep.Reason); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.life.View(req))
	return nil
}
