package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/gate"
)

// maxAPIBody bounds gate API bodies: a command plus metadata.
const maxAPIBody = 256 << 10

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeErrorCode(w, code, msg, "")
}

// writeErrorCode answers an error with one of gate's ErrorCode… values.
func writeErrorCode(w http.ResponseWriter, code int, msg, errCode string) {
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, code, gate.ErrorBody{Error: msg, Code: errCode})
}

// apiError is an answer of the gate API other than success.
type apiError struct {
	code    int
	msg     string
	errCode string // gate.ErrorCode… or ""
}

func (e *apiError) Error() string { return e.msg }

func errorf(code int, msg string) *apiError { return &apiError{code: code, msg: msg} }

// statusRecorder remembers the status code for the metrics.
type statusRecorder struct {
	http.ResponseWriter
	code     int
	hijacked bool // a parked poll: counted when it is answered
}

// Hijack takes the connection for a parked poll.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, b, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
	}
	return c, b, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// api wraps a gate API handler: it authenticates the caller and counts the
// answer by route and code.
func (s *Server) api(route string, h func(w http.ResponseWriter, r *http.Request, id *lifecycle.Identity) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if !rec.hijacked {
				s.metrics.api.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
			}
		}()
		id, err := s.verifier.verify(r)
		if err != nil {
			if r.ContentLength != 0 {
				// Refused before its body was read: close rather than drain it.
				rec.Header().Set("Connection", "close")
			}
			if errors.Is(err, errIssuerUnavailable) || (errors.Is(err, errUnauthorized) && s.issuer.down()) {
				s.log.WarnContext(r.Context(), "token issuer unavailable", "issuer", s.cfg.OIDCIssuer, "err", err)
				writeError(rec, http.StatusServiceUnavailable, "the App cannot reach the OIDC token issuer ("+s.cfg.OIDCIssuer+") to verify the token, retry later")
				return
			}
			s.log.InfoContext(r.Context(), "gate token refused", "route", route, "err", err)
			rec.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeError(rec, http.StatusUnauthorized, "invalid or missing token")
			return
		}
		if route == "create" {
			err = s.admitRepo(r.Context(), id)
		}
		if err == nil {
			err = h(rec, r, id)
		}
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				writeErrorCode(rec, ae.code, ae.msg, ae.errCode)
				return
			}
			var le *lifecycle.Error
			if errors.As(err, &le) {
				writeError(rec, kindStatus[le.Kind], le.Msg)
				return
			}
			s.log.ErrorContext(r.Context(), "gate api", "route", route, "err", err)
			writeError(rec, http.StatusInternalServerError, "internal error")
		}
	}
}

// decodeJSON reads a bounded JSON body into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" || !allowEmpty {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errorf(http.StatusUnsupportedMediaType, "content type must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "body too large")
		}
		return errorf(http.StatusBadRequest, "reading body failed")
	}
	if len(body) == 0 && allowEmpty {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, "body is not valid JSON for this route")
	}
	return nil
}

// kindStatus answers each kind of lifecycle refusal.
var kindStatus = map[lifecycle.Kind]int{
	lifecycle.Invalid:     http.StatusBadRequest,
	lifecycle.TooLarge:    http.StatusRequestEntityTooLarge,
	lifecycle.NotFound:    http.StatusNotFound,
	lifecycle.Forbidden:   http.StatusForbidden,
	lifecycle.Conflict:    http.StatusConflict,
	lifecycle.Unavailable: http.StatusServiceUnavailable,
}
