package backend_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/backendtest"
)

// fakeClock is a clock tests move by hand; safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func newTestMemory(t *testing.T, opts backend.MemoryOptions) *backend.Memory {
	t.Helper()
	m, err := backend.NewMemory(opts)
	if err != nil {
		t.Fatalf("NewMemory: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestMemoryConformance(t *testing.T) {
	clock := newFakeClock()
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			return newTestMemory(t, backend.MemoryOptions{Now: clock.Now})
		},
		Advance: clock.Advance,
	})
}

// The suite's checks that need no clock hold too when the memory backend
// runs on the real one.
func TestMemoryConformanceRealClock(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			return newTestMemory(t, backend.MemoryOptions{})
		},
	})
}
