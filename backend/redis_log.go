package backend

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// logEvery is the least time between two log lines of the same kind.
const logEvery = 10 * time.Second

// rateLog writes at most one line per kind of event every logEvery, and
// says how many it left out meanwhile: a Redis outage under load fails
// thousands of calls a second, which must not become thousands of lines.
type rateLog struct {
	l   *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	kinds map[string]*logKind
}

type logKind struct {
	last       time.Time
	suppressed int
}

func newRateLog(l *slog.Logger, now func() time.Time) *rateLog {
	return &rateLog{l: l, now: now, kinds: make(map[string]*logKind)}
}

// log writes msg at level unless a line of the same kind went out less
// than logEvery ago. kind groups events (a node's failures, its breaker).
func (r *rateLog) log(level slog.Level, kind, msg string, attrs ...any) {
	now := r.now()
	r.mu.Lock()
	k := r.kinds[kind]
	if k == nil {
		k = &logKind{}
		r.kinds[kind] = k
	}
	if !k.last.IsZero() && now.Sub(k.last) < logEvery {
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
