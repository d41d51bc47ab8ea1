package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/lifecycle"
	"github.com/stepgate/stepgate/app/store"
)

// webhookHandler processes one verified, first-time delivery and returns a
// short outcome for logs and metrics ("vote", "ignored", …).
type webhookHandler func(ctx context.Context, log *slog.Logger, payload []byte) (outcome string, err error)

func (s *Server) webhookHandlers() map[string]webhookHandler {
	return map[string]webhookHandler{
		"check_run":      s.onCheckRun,
		"issue_comment":  s.onIssueComment,
		"commit_comment": s.onCommitComment,
		"installation":   s.onInstallation,
		// Job-level gates (app/lifecycle/deployment.go).
		"deployment_protection_rule": s.onDeploymentProtectionRule,
	}
}

// handleWebhook is POST /webhook. The signature is checked before anything
// else is looked at; a bad or missing one is 401 and nothing is processed.
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	event := r.Header.Get("X-GitHub-Event")
	delivery := r.Header.Get("X-GitHub-Delivery")
	log := s.log.With("delivery", delivery, "event", event)
	count := func(outcome string) { s.metrics.webhooks.WithLabelValues(metricEvent(event), outcome).Inc() }
	body, ok := s.verifiedBody(w, r, log, count)
	if !ok {
		return
	}
	h, acted := s.webhookHandlers()[event]
	switch {
	case event == "ping":
		count("ping")
		writeJSON(w, http.StatusOK, map[string]string{"status": "pong"})
		return
	case body == nil || !acted || !wanted(event, body):
		count("ignored") // signed, of an event or action the App does not act on
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "ignored"})
		return
	}
	ctx := lifecycle.WithLog(r.Context(), log)
	ctx, outcome, err := s.firstDelivery(ctx, event, delivery)
	if err == nil && outcome == "" {
		outcome, err = h(ctx, log, body)
	}
	s.answerWebhook(ctx, w, log, count, outcome, err)
}

// firstDelivery checks a delivery is new before it is processed:
// "duplicate" when it was seen before. A click's or a deployment's is
// checked lazily instead, in the write it causes (lifecycle.WithDelivery).
func (s *Server) firstDelivery(ctx context.Context, event, delivery string) (context.Context, string, error) {
	switch {
	case delivery == "":
		return ctx, "", nil
	case event == "check_run" || event == "deployment_protection_rule":
		return lifecycle.WithDelivery(ctx, delivery), "", nil
	}
	first, err := s.store.MarkDelivery(ctx, delivery, s.cfg.DeliveryTTL, s.now())
	if err != nil {
		s.life.CountStoreError("mark_delivery")
		return ctx, "", fmt.Errorf("recording delivery: %w", errors.Join(store.ErrUnavailable, err))
	}
	if !first {
		return ctx, "duplicate", nil
	}
	return ctx, "", nil
}

// answerWebhook answers a processed delivery: 503 when the store failed
// (GitHub's redelivery can retry it), 500 for other failures, else the
// outcome (400 for a bad payload, 202 for nothing to do).
func (s *Server) answerWebhook(ctx context.Context, w http.ResponseWriter, log *slog.Logger, count func(string), outcome string, err error) {
	switch {
	case errors.Is(err, store.ErrUnavailable):
		count("store_error")
		log.ErrorContext(ctx, "processing webhook", "err", err)
		writeError(w, http.StatusServiceUnavailable, "store unavailable")
		return
	case err != nil:
		count("error")
		log.ErrorContext(ctx, "processing webhook", "err", err)
		writeError(w, http.StatusInternalServerError, "processing failed")
		return
	}
	count(outcome)
	log.InfoContext(ctx, "webhook processed", "outcome", outcome)
	code := http.StatusOK
	switch {
	case outcome == "bad_payload":
		code = http.StatusBadRequest
	case strings.HasPrefix(outcome, "ignored"):
		code = http.StatusAccepted // nothing to do for this delivery
	}
	writeJSON(w, code, map[string]string{"status": outcome})
}

// wanted reports whether a delivery's action is one the App acts on, from
// a cheap partial decode, so deliveries it ignores (the check_run events
// of its own check runs, edited comments, …) cost no store write.
func wanted(event string, body []byte) bool {
	var p struct {
		Action string `json:"action"`
	}
	if json.Unmarshal(body, &p) != nil {
		return true // let the handler report the bad payload
	}
	switch event {
	case "check_run":
		return p.Action == "requested_action"
	case "issue_comment", "commit_comment":
		return p.Action == "created"
	case "deployment_protection_rule":
		return p.Action == "requested"
	case "installation":
		return p.Action == "deleted" || p.Action == "suspend" || p.Action == "unsuspend" || p.Action == "new_permissions_accepted"
	}
	return false
}

// verifiedBody reads the body within the unsigned-read limits (unsigned.go)
// and checks its signature while it streams; on failure it has answered
// (411, 413, 503, 400 or 401). For an event the App does not act on the
// body is hashed and dropped, and nil is returned with ok true.
func (s *Server) verifiedBody(w http.ResponseWriter, r *http.Request, log *slog.Logger, count func(string)) ([]byte, bool) {
	n := r.ContentLength
	refused := func(outcome string, code int, msg string) ([]byte, bool) {
		count(outcome)
		refuse(w, code, msg)
		return nil, false
	}
	switch {
	case n < 0: // GitHub always sends Content-Length
		return refused("no_length", http.StatusLengthRequired, "Content-Length required")
	case n > maxWebhookBody:
		return refused("too_large", http.StatusRequestEntityTooLarge, "payload too large")
	}
	event := r.Header.Get("X-GitHub-Event")
	_, acted := s.webhookHandlers()[event]
	acted = acted || event == "ping"
	buffer := acted && n <= maxBufferedBody
	if n > largeBody {
		free, ok := s.unsigned.largeSlot(r.Context(), largeSlotWait)
		if !ok {
			return refused("busy", http.StatusServiceUnavailable, "busy, retry later")
		}
		defer free()
	}
	macs := s.macs()
	body, fail := s.readUnsigned(w, r, buffer, macs)
	switch {
	case fail == nil:
	case fail.code == 0:
		return nil, false // dropped and held in the tarpit: nothing to answer
	default:
		return refused(fail.outcome, fail.code, fail.msg)
	}
	if !validSignature(r.Header.Get("X-Hub-Signature-256"), macs) {
		count("bad_signature")
		if s.badSigLog.allow(time.Now()) {
			// At most one line a second: anyone can send these (the
			// counter stepgate_webhooks_total{outcome="bad_signature"} has them all).
			log.WarnContext(r.Context(), "webhook signature invalid or missing (logged at most once a second)")
		}
		writeError(w, http.StatusUnauthorized, "invalid signature")
		return nil, false
	}
	if acted && !buffer {
		count("too_large")
		log.WarnContext(r.Context(), "signed webhook larger than the App acts on", "bytes", n)
		writeError(w, http.StatusRequestEntityTooLarge, "payload too large for the events the App acts on")
		return nil, false
	}
	return body, true
}

// refusal is how an unsigned read failed: the outcome counted, the status
// and message answered (code 0: the connection was dropped and handed to
// the tarpit, nothing to answer).
type refusal struct {
	outcome string
	code    int
	msg     string
}

// readUnsigned reads a body nobody has vouched for yet: within its share
// of the in-flight budget (the oldest read is dropped when a newcomer does
// not fit) and a deadline that grows with its length, hashing it on the
// way. Only buffered bodies are kept.
func (s *Server) readUnsigned(w http.ResponseWriter, r *http.Request, buffer bool, macs []hash.Hash) ([]byte, *refusal) {
	n := r.ContentLength
	weight := min(n, streamChunk)
	if buffer {
		weight = n
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyDeadline(s.cfg.WebhookReadTimeout, n)))
	rd, ok := s.unsigned.admit(weight, func() { _ = rc.SetReadDeadline(time.Now()) })
	if !ok {
		return nil, &refusal{"busy", http.StatusServiceUnavailable, "busy, retry later"}
	}
	rate := int64(0)
	if n > largeBody {
		rate = largeBodyRate
	}
	body, err := readSigned(r.Body, n, buffer, macs, rate)
	dropped := s.unsigned.release(rd)
	_ = rc.SetReadDeadline(time.Time{})
	switch {
	case err == nil:
		return body, nil
	case dropped:
		s.metrics.webhooks.WithLabelValues(metricEvent(r.Header.Get("X-GitHub-Event")), "dropped").Inc()
		if c, _, herr := rc.Hijack(); herr == nil {
			s.tarpit.hold(c)
			return nil, &refusal{}
		}
		return nil, &refusal{"slow", http.StatusRequestTimeout, "body too slow"}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, &refusal{"slow", http.StatusRequestTimeout, "body too slow"}
	}
	return nil, &refusal{"bad_body", http.StatusBadRequest, "reading body failed"}
}

// macs starts one HMAC-SHA256 per configured secret.
func (s *Server) macs() []hash.Hash {
	m := make([]hash.Hash, len(s.secrets))
	for i, sec := range s.secrets {
		m[i] = hmac.New(sha256.New, sec)
	}
	return m
}

// readSigned reads exactly n bytes into every mac, keeping them when keep
// is set, at most rate bytes a second (0: unpaced). The buffer grows with
// what arrives, never to a length only declared, so a trickled body costs
// what it has sent.
func readSigned(body io.Reader, n int64, keep bool, macs []hash.Hash, rate int64) ([]byte, error) {
	// Start small: a trickler that declared 60 KB and sent 100 bytes
	// should cost 100 bytes, not a chunk.
	buf := make([]byte, 0, min(n, 2<<10))
	var got int64
	start := time.Now()
	for got < n {
		if rate > 0 {
			pace(start, got, rate)
		}
		if !keep {
			if len(buf) == cap(buf) && cap(buf) < streamChunk {
				buf = make([]byte, 0, min(2*cap(buf), streamChunk)) // grows only while the chunks come full
			}
			buf = buf[:0]
		} else if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), n-int64(len(buf)))))
		}
		k, err := body.Read(buf[len(buf):min(cap(buf), len(buf)+int(n-got))])
		for _, m := range macs {
			m.Write(buf[len(buf) : len(buf)+k])
		}
		buf, got = buf[:len(buf)+k], got+int64(k)
		if err == io.EOF && got < n {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
	}
	if !keep {
		return nil, nil
	}
	return buf, nil
}

// validSignature checks "sha256=<hex>" against every configured secret's
// MAC in constant time.
func validSignature(header string, macs []hash.Hash) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	valid := false
	for _, mac := range macs {
		if hmac.Equal(got, mac.Sum(nil)) {
			valid = true // keep going: the time taken does not say which secret matched
		}
	}
	return valid
}

// metricEvent bounds the event label to the events GitHub documents the
// App receiving, so a forged header cannot create series.
func metricEvent(e string) string {
	switch e {
	case "check_run", "issue_comment", "commit_comment", "installation", "ping",
		"installation_repositories", "check_suite", "pull_request", "push", "deployment_protection_rule":
		return e
	}
	return "other"
}

// Shared payload parts (GitHub webhook schemas; only the fields used).
func decodePayload(payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return errors.New("payload is not valid JSON for its event")
	}
	return nil
}
