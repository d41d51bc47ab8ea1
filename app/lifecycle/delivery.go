package lifecycle

import (
	"context"
	"sync"
)

// A button click (check_run requested_action) is not marked as seen when
// it arrives: its delivery id rides in the conditional Vote write that
// records it (store.Vote), which spares the separate delivery record on the
// decision path. Every other effect of the click (a note on the check run,
// an ignored-vote audit event) first goes through once, which reports a
// redelivery (the id recorded with a vote, or by MarkDelivery) so that it
// changes nothing the second time.

type deliveryKey struct{}

// lazyDelivery is a delivery id marked at most once, on first need.
type lazyDelivery struct {
	id    string
	mu    sync.Mutex
	done  bool
	first bool
}

// WithDelivery defers the redelivery check of id to once and the vote.
func WithDelivery(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, deliveryKey{}, &lazyDelivery{id: id})
}

// voteDelivery is the delivery id a vote write must carry, or "" when the
// delivery was already marked on arrival.
func voteDelivery(ctx context.Context) string {
	if d, ok := ctx.Value(deliveryKey{}).(*lazyDelivery); ok {
		return d.id
	}
	return ""
}

// once reports whether this is the first processing of the delivery in
// ctx, before an effect other than the vote write: false when a vote on
// reqID ("" for none) already recorded it, or MarkDelivery had seen it.
// A delivery marked on arrival is always first here.
func (l *Lifecycle) once(ctx context.Context, reqID string) (bool, error) {
	d, ok := ctx.Value(deliveryKey{}).(*lazyDelivery)
	if !ok {
		return true, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return d.first, nil
	}
	if reqID != "" {
		seen, err := l.store.VoteDelivered(ctx, reqID, d.id)
		if err != nil {
			l.metrics.storeErrors.WithLabelValues("vote_delivered").Inc()
			return false, err
		}
		if seen {
			d.done, d.first = true, false
			return false, nil
		}
	}
	first, err := l.store.MarkDelivery(ctx, d.id, l.cfg.DeliveryTTL, l.now())
	if err != nil {
		l.metrics.storeErrors.WithLabelValues("mark_delivery").Inc()
		return false, err
	}
	d.done, d.first = true, first
	return first, nil
}
