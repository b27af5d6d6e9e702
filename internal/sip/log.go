package sip

import (
	"context"
	"log/slog"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// sipgo logs through one process-wide logger, taken when a user agent is
// made. Its messages are about single packets (one that did not parse, a
// stray retransmission), so they are logged at debug level, and the packet
// text they quote is cut short: a flood of junk must not flood the log.
var setLibraryLogger sync.Once

func quietLibrary(l *slog.Logger) {
	setLibraryLogger.Do(func() { sip.SetDefaultLogger(slog.New(&quietHandler{h: l.Handler()})) })
}

type quietHandler struct{ h slog.Handler }

func (q *quietHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return q.h.Enabled(ctx, slog.LevelDebug)
}

func (q *quietHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, slog.LevelDebug, "sipgo: "+r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if s, ok := a.Value.Any().(string); ok && len(s) > 200 {
			a = slog.String(a.Key, s[:200]+"...")
		}
		out.AddAttrs(a)
		return true
	})
	return q.h.Handle(ctx, out)
}

func (q *quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &quietHandler{h: q.h.WithAttrs(as)}
}

func (q *quietHandler) WithGroup(name string) slog.Handler {
	return &quietHandler{h: q.h.WithGroup(name)}
}
