// Package ratelog writes at most one log line per kind of event per
// interval, saying how many it left out meanwhile: a backend outage under
// load fails thousands of calls a second, which must not become thousands
// of lines.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Every is the least time between two lines of the same kind.
const Every = 10 * time.Second

// Logger is a rate-limited slog.Logger. It is safe for concurrent use.
type Logger struct {
	l   *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	kinds map[string]*kind
}

type kind struct {
	last       time.Time
	suppressed int
}

// New returns a Logger writing to l, reading time from now.
func New(l *slog.Logger, now func() time.Time) *Logger {
	return &Logger{l: l, now: now, kinds: make(map[string]*kind)}
}

// Log writes msg at level unless a line of the same kind went out less
// than Every ago; kind groups events (a node's failures, lookups).
func (r *Logger) Log(level slog.Level, kindName, msg string, attrs ...any) {
	now := r.now()
	r.mu.Lock()
	k := r.kinds[kindName]
	if k == nil {
		k = &kind{}
		r.kinds[kindName] = k
	}
	if !k.last.IsZero() && now.Sub(k.last) < Every {
		k.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := k.suppressed
	k.last, k.suppressed = now, 0
	r.mu.Unlock()
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	r.l.Log(context.Background(), level, msg, attrs...)
}
