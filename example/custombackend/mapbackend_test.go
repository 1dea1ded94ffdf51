package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/backendtest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestConformance runs the exported conformance suite on the custom
// backend, as any backend's author would.
func TestConformance(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	backendtest.Run(t, backendtest.Harness{
		New:     func(*testing.T) backend.Backend { return NewMapBackend(c.Now) },
		Advance: c.Advance,
	})
}

// TestServesThroughCustomBackend: the example app caches and invalidates
// through MapBackend over real HTTP.
func TestServesThroughCustomBackend(t *testing.T) {
	r, cache, err := newEngine()
	require.NoError(t, err)
	defer cache.Close()
	srv := httptest.NewServer(r)
	defer srv.Close()
	xcache := func(method, path string) string {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(`{"name":"renamed"}`))
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.Header.Get("X-Cache")
	}
	for _, step := range []struct{ method, path, want string }{
		{"GET", "/spaces/4", "MISS"}, {"GET", "/spaces/4", "HIT"},
		{"PATCH", "/spaces/4", ""}, {"GET", "/spaces/4", "MISS"}, {"GET", "/spaces/4", "HIT"},
	} {
		got := xcache(step.method, step.path)
		require.Equal(t, step.want, got, "%s %s: X-Cache", step.method, step.path)
		// MapBackend is not backend.Local: a miss's store runs after its
		// response. A GET while it runs is a hit on the entry being stored,
		// but one whose lookup passed the backend just before the store
		// landed, and that looks for the store just after it ended, fills
		// again: the next step waits for it.
		require.NoError(t, cache.WaitStores(t.Context()))
	}
}
