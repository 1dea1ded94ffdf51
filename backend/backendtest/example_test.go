package backendtest_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/backendtest"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
)

// conformance is what a backend's own test runs: one call, with a
// constructor for fresh backends and a hand-moved clock. Put it in a
// TestConformance function in the backend package's _test.go file.
func conformance(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			b, err := memory.New(memory.Options{
				Now: func() time.Time { return time.Unix(0, now.Load()) },
			})
			require.NoError(t, err)
			return b
		},
		Advance: func(d time.Duration) { now.Add(int64(d)) },
		// A Redis backend sets this: SCAN may return a key twice.
		DuplicatesAcrossPages: false,
	})
}

// Running the suite on a backend.
func Example() {
	_ = conformance // func TestConformance(t *testing.T) { conformance(t) }
}
