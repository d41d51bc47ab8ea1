package lifecycle

import (
	"context"
	"log/slog"
)

type logKey struct{}

// withLog carries a logger enriched with the delivery id, event or request
// id down the call chain, so every line of one piece of work can be found.
func withLog(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, logKey{}, log)
}

// logger returns the logger ctx carries, or the server's.
func (l *Lifecycle) logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(logKey{}).(*slog.Logger); ok {
		return l
	}
	return l.log
}
