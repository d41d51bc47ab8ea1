package lifecycle

import (
	"context"
	"log/slog"
)

type logKey struct{}

// WithLog carries a logger enriched with the delivery id, event or request
// id down the call chain, so every line of one piece of work can be found
// (app/server starts it per delivery; the lifecycle adds the request id).
func WithLog(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, logKey{}, log)
}

// LoggerFrom returns the logger ctx carries, or fallback.
func LoggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(logKey{}).(*slog.Logger); ok {
		return l
	}
	return fallback
}

// logger returns the logger ctx carries, or the lifecycle's.
func (l *Lifecycle) logger(ctx context.Context) *slog.Logger { return LoggerFrom(ctx, l.log) }
