package testutil

import (
	"sync/atomic"
	"time"
)

// Clock is a clock tests move by hand, safe for concurrent use: pass its
// Now to the code under test (gincache.WithClock, the backends' Now
// options) and Advance it instead of sleeping.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a Clock set to a fixed date.
func NewClock() *Clock {
	c := &Clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

// Now reads the clock.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
