package backend

import (
	"sync/atomic"
	"time"
)

// FakeClock is a clock tests move by hand, safe for concurrent use. It is
// exported for the external test package only (this file is a test file).
type FakeClock struct{ ns atomic.Int64 }

// NewFakeClock returns a FakeClock set to a fixed date.
func NewFakeClock() *FakeClock {
	c := &FakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

// Now reads the clock.
func (c *FakeClock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
