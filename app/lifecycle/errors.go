package lifecycle

// Kind classifies why the lifecycle refused an input; app/server answers
// each with its HTTP status.
type Kind int

// Kinds of refusal.
const (
	Invalid     Kind = iota // the input is wrong (400)
	TooLarge                // the input is too large (413)
	NotFound                // no such request for this caller (404)
	Forbidden               // the caller may not (403)
	Conflict                // the request is not in a state that allows it (409)
	Unavailable             // the store or GitHub cannot answer now; retry (503)
)

// Error is a refusal whose message the caller may see (the gate prints it
// as it is). Anything else the lifecycle returns is an internal error,
// logged and answered without details.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func errorf(k Kind, msg string) *Error { return &Error{Kind: k, Msg: msg} }

// storeErr answers any store failure as Unavailable: the gate retries with
// back-off and fails closed after its bounded attempts; the details go to
// the log, never to the caller.
func (l *Lifecycle) storeErr(op string, err error) error {
	l.metrics.storeErrors.WithLabelValues(op).Inc()
	l.log.Error("store operation failed", "op", op, "err", err)
	return errorf(Unavailable, "store unavailable, retry later")
}
