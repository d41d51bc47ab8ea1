package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// load returns the request id names if it belongs to the caller's
// repository (and, when run is set, to the caller's run attempt). Anything
// else is 404: a token of repo A learns nothing about repo B.
func (s *Server) load(ctx context.Context, reqID string, id *Identity, run bool) (*gate.Request, error) {
	r, err := s.store.GetRequest(ctx, reqID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "no such request")
	}
	if err != nil {
		return nil, s.storeErr("get_request", err)
	}
	if r.RepoID != id.RepoID || (run && (r.RunID != id.RunID || r.RunAttempt != id.RunAttempt || !sameJob(r, id))) {
		return nil, errorf(http.StatusNotFound, "no such request")
	}
	return r, nil
}

// handleGet is GET /api/v1/requests/{id}?wait=30s: it answers at once when
// the request is decided, else waits up to wait (at most MaxWait) for the
// decision. Waiting costs no GitHub call; on HTTP/1.x it costs no goroutine
// either: the connection is parked (package longpoll).
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, id *Identity) error {
	wait, err := parseWait(r.URL.Query().Get("wait"), s.cfg.MaxWait)
	if err != nil {
		return err
	}
	ctx := r.Context()
	req, err := s.load(ctx, r.PathValue("id"), id, false)
	if err != nil {
		return err
	}
	// Wake for the decision, the request's own expiry, or a periodic
	// re-read (the fallback should a cross-replica wake-up be missed).
	req, handled, err := s.poll.Wait(w, r, req, s.now().Add(wait))
	if err != nil || handled {
		return err // handled: parked (answered from app/longpoll) or the gate went away
	}
	writeJSON(w, http.StatusOK, s.view(req))
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

// expire finalizes an overdue request and announces it. If another replica
// (or the sweeper) got there first, the stored outcome is returned.
func (s *Server) expire(ctx context.Context, r *gate.Request) *gate.Request {
	done, err := s.finalize(ctx, r, store.Decide{Status: gate.StatusExpired,
		Reason: fmt.Sprintf("no decision within %s", r.ExpiresAt.Sub(r.CreatedAt).Round(time.Second))}, "")
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			s.metrics.storeErrors.WithLabelValues("finalize").Inc()
			s.logger(ctx).WarnContext(ctx, "expiring request", "request_id", r.ID, "err", err)
		}
		if cur, gerr := s.store.GetRequest(ctx, r.ID); gerr == nil {
			return cur
		}
		return r
	}
	s.finish(ctx, done, "", false)
	return done
}

// handleResult is POST /api/v1/requests/{id}/result, once per request.
func (s *Server) handleResult(w http.ResponseWriter, r *http.Request, id *Identity) error {
	var rep gate.ResultReport
	if err := decodeJSON(w, r, &rep, false); err != nil {
		return err
	}
	if rep.DurationMS < 0 {
		return errorf(http.StatusBadRequest, "duration_ms must not be negative")
	}
	ctx := r.Context()
	req, err := s.load(ctx, r.PathValue("id"), id, true)
	if err != nil {
		return err
	}
	done, err := s.store.SetResult(ctx, req.ID, rep.ExitCode, time.Duration(rep.DurationMS)*time.Millisecond)
	if errors.Is(err, store.ErrConflict) {
		// A retry of a report whose answer was lost is not a conflict.
		if req.ExitCode == nil {
			req, _ = s.store.GetRequest(ctx, req.ID)
		}
		if req != nil && req.ExitCode != nil && *req.ExitCode == rep.ExitCode && req.DurationMS == rep.DurationMS {
			writeJSON(w, http.StatusOK, s.view(req))
			return nil
		}
		return errorf(http.StatusConflict, "result already recorded, or the request was not allowed to run")
	}
	if err != nil {
		return s.storeErr("set_result", err)
	}
	s.audit(ctx, done, gate.EventExecuted, id.Actor, "", map[string]string{
		"exit_code": strconv.Itoa(rep.ExitCode), "duration_ms": strconv.FormatInt(rep.DurationMS, 10),
		"command_sha256": done.CommandSHA256,
	})
	writeJSON(w, http.StatusOK, s.view(done))
	return nil
}

// handleCancel is POST /api/v1/requests/{id}/cancel: the workflow was
// cancelled while the gate waited. A decided request stays as it is.
func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request, id *Identity) error {
	var rep gate.CancelReport
	if err := decodeJSON(w, r, &rep, true); err != nil {
		return err
	}
	ctx := r.Context()
	req, err := s.load(ctx, r.PathValue("id"), id, true)
	if err != nil {
		return err
	}
	if req.Status == gate.StatusPending {
		reason := "cancelled by the workflow"
		if rep.Reason != "" {
			reason += ": " + truncate(rep.Reason, 500)
		}
		done, err := s.finalize(ctx, req, store.Decide{Status: gate.StatusCancelled, Reason: reason}, id.Actor)
		switch {
		case err == nil:
			s.finish(ctx, done, id.Actor, false)
			req = done
		case errors.Is(err, store.ErrConflict):
			if req, err = s.load(ctx, req.ID, id, true); err != nil {
				return err
			}
		default:
			return s.storeErr("finalize", err)
		}
	}
	writeJSON(w, http.StatusOK, s.view(req))
	return nil
}
