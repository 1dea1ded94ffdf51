package gincache

import (
	"log/slog"
	"sync"
	"time"
)

// rateLogger logs cache errors at most once per interval per kind, with
// the number suppressed since, so an outage costs a line every few seconds
// rather than one per request.
type rateLogger struct {
	l     *slog.Logger
	every time.Duration
	now   func() time.Time

	mu    sync.Mutex
	kinds map[string]*logKind
}

type logKind struct {
	last       time.Time
	suppressed int
}

func newRateLogger(l *slog.Logger, every time.Duration, now func() time.Time) *rateLogger {
	return &rateLogger{l: l, every: every, now: now, kinds: map[string]*logKind{}}
}

func (r *rateLogger) error(kind, msg string, err error, args ...any) {
	now := r.now()
	r.mu.Lock()
	k := r.kinds[kind]
	if k == nil {
		k = &logKind{}
		r.kinds[kind] = k
	}
	if !k.last.IsZero() && now.Sub(k.last) < r.every {
		k.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := k.suppressed
	k.last, k.suppressed = now, 0
	r.mu.Unlock()
	args = append(args, "error", err)
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	r.l.Error(msg, args...)
}
