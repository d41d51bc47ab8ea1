package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

// The end of a request's life: it expires, the workflow cancels it, or the
// gate reports the result of the command it ran.

// Load returns the request reqID names if it belongs to the caller's
// repository (and, when run is set, to the caller's job in its run
// attempt). Anything else is NotFound: a token of repo A learns nothing
// about repo B.
func (l *Lifecycle) Load(ctx context.Context, reqID string, id *Identity, run bool) (*gate.Request, error) {
	r, err := l.store.GetRequest(ctx, reqID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(NotFound, "no such request")
	}
	if err != nil {
		return nil, l.storeErr("get_request", err)
	}
	if r.RepoID != id.RepoID || (run && (r.RunID != id.RunID || r.RunAttempt != id.RunAttempt || !sameJob(r, id))) {
		return nil, errorf(NotFound, "no such request")
	}
	return r, nil
}

// Expire finalizes an overdue request and announces it. If another
// replica (or the sweeper) got there first, the stored outcome is returned.
func (l *Lifecycle) Expire(ctx context.Context, r *gate.Request) *gate.Request {
	done, err := l.finalize(ctx, r, store.Decide{Status: gate.StatusExpired,
		Reason: fmt.Sprintf("no decision within %s", r.ExpiresAt.Sub(r.CreatedAt).Round(time.Second))}, "")
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			l.metrics.storeErrors.WithLabelValues("finalize").Inc()
			l.logger(ctx).WarnContext(ctx, "expiring request", "request_id", r.ID, "err", err)
		}
		if cur, gerr := l.store.GetRequest(ctx, r.ID); gerr == nil {
			return cur
		}
		return r
	}
	l.finish(ctx, done, "", false)
	return done
}

// Cancel is POST /api/v1/requests/{id}/cancel: the workflow was cancelled
// while the gate waited. A decided request stays as it is.
func (l *Lifecycle) Cancel(ctx context.Context, req *gate.Request, id *Identity, why string) (*gate.Request, error) {
	if req.Status != gate.StatusPending {
		return req, nil
	}
	reason := "cancelled by the workflow"
	if why != "" {
		reason += ": " + truncate(why, 500)
	}
	done, err := l.finalize(ctx, req, store.Decide{Status: gate.StatusCancelled, Reason: reason}, id.Actor)
	switch {
	case err == nil:
		l.finish(ctx, done, id.Actor, false)
		return done, nil
	case errors.Is(err, store.ErrConflict):
		return l.Load(ctx, req.ID, id, true)
	default:
		return nil, l.storeErr("finalize", err)
	}
}

// Result is POST /api/v1/requests/{id}/result, once per request: the gate
// ran the command and reports its exit code. A retry of a report whose
// answer was lost is answered like the first; a different second report
// is Conflict.
func (l *Lifecycle) Result(ctx context.Context, req *gate.Request, id *Identity, rep gate.ResultReport) (*gate.Request, error) {
	if rep.DurationMS < 0 {
		return nil, errorf(Invalid, "duration_ms must not be negative")
	}
	done, err := l.store.SetResult(ctx, req.ID, rep.ExitCode, time.Duration(rep.DurationMS)*time.Millisecond)
	if errors.Is(err, store.ErrConflict) {
		if req.ExitCode == nil {
			req, _ = l.store.GetRequest(ctx, req.ID)
		}
		if req != nil && req.ExitCode != nil && *req.ExitCode == rep.ExitCode && req.DurationMS == rep.DurationMS {
			return req, nil
		}
		return nil, errorf(Conflict, "result already recorded, or the request was not allowed to run")
	}
	if err != nil {
		return nil, l.storeErr("set_result", err)
	}
	l.trail.record(ctx, done, gate.EventExecuted, id.Actor, "", map[string]string{
		"exit_code": strconv.Itoa(rep.ExitCode), "duration_ms": strconv.FormatInt(rep.DurationMS, 10),
		"command_sha256": done.CommandSHA256,
	})
	return done, nil
}
