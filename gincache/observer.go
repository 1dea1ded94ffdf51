package gincache

import (
	"errors"
	"time"
)

// BackendOp names a backend call the cache makes for a request.
type BackendOp string

// The backend calls an Observer hears about.
const (
	OpLookup     BackendOp = "lookup"     // a GET's lookup (hit or miss)
	OpStore      BackendOp = "store"      // storing a miss's response
	OpInvalidate BackendOp = "invalidate" // a write's token renewal
	OpEpoch      BackendOp = "epoch"      // renewing the global epoch
)

// Observer hears about every backend call the middleware makes, with the
// route it was made for, labelled by its Gin pattern (never the raw URL,
// which would make label sets unbounded). extra/prometheus turns these
// into a latency histogram. Its method runs on the request path: it must
// be fast and safe for concurrent use. Without an observer, the cache
// reads no clock for it.
type Observer interface {
	ObserveBackend(op BackendOp, method, route string, d time.Duration, err error)
}

// WithObserver sets an Observer. Default: none.
func WithObserver(o Observer) Option {
	return func(c *config) error {
		if o == nil {
			return errors.New("WithObserver: nil observer")
		}
		c.observer = o
		return nil
	}
}

// observeStart returns the start time of a backend call when an observer
// listens, and the zero time otherwise.
func (c *Cache) observeStart() time.Time {
	if c.cfg.observer == nil {
		return time.Time{}
	}
	return time.Now()
}

// observe reports a backend call that began at start.
func (c *Cache) observe(op BackendOp, rs *routeState, start time.Time, err error) {
	if c.cfg.observer == nil {
		return
	}
	method, route := "", ""
	if rs != nil {
		method, route = rs.method, rs.path
	}
	c.cfg.observer.ObserveBackend(op, method, route, time.Since(start), err)
}
