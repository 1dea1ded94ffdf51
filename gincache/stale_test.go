package gincache

import (
	"io"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// staleApp caches GET /doc for 10 s with 60 s of stale window; the handler
// answers with the current version, or fails as told.
type staleApp struct {
	*testApp
	runs    *counter
	version int
	mode    string // "", "500", "panic", "block"
	release chan struct{}
	entered chan struct{}
}

func newStaleApp(t *testing.T) *staleApp {
	a := &staleApp{
		testApp: newTestApp(t, Table{{Method: "GET", Path: "/doc", Policy: Policy{TTL: 10 * time.Second, Stale: time.Minute}}}),
		runs:    &counter{}, version: 1, release: make(chan struct{}), entered: make(chan struct{}, 10),
	}
	a.engine.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) { c.AbortWithStatus(500) }), a.cache.Middleware())
	a.engine.GET("/doc", func(c *gin.Context) {
		a.runs.inc()
		switch a.mode {
		case "500":
			c.String(500, "broken")
			return
		case "panic":
			panic("refresh fails")
		case "block":
			a.entered <- struct{}{}
			<-a.release
		}
		c.String(200, "v%d", a.version)
	})
	a.engine.PUT("/doc", func(c *gin.Context) { a.version++; c.String(200, "ok") })
	return a
}

// settled waits until the handler has run n times and no refresh is under
// way.
func (a *staleApp) settled(t *testing.T, n int) {
	t.Helper()
	testutil.WaitFor(t, "the refresh to end", func() bool { return a.runs.get() >= n && a.cache.flights.active() == 0 })
}

func TestStaleWhileRevalidate(t *testing.T) {
	a := newStaleApp(t)
	r := a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	a.version = 2 // changed behind the cache's back; the TTL is what bounds it
	a.clock.Advance(15 * time.Second)
	r = a.do("GET", "/doc")
	require.Equal(t, "STALE", r.xcache(), r.String())
	require.Equal(t, "v1", r.body, "stale response %q %v", r.body, r.header)
	require.Equal(t, "gincache; hit; fwd=stale", r.header.Get("Cache-Status"), "stale response %q %v", r.body, r.header)
	require.Equal(t, "15", r.header.Get("Age"), "stale response %q %v", r.body, r.header)
	a.settled(t, 2) // the refresh runs in the background
	r = a.do("GET", "/doc")
	require.Equal(t, "HIT", r.xcache(), r.String())
	require.Equal(t, "v2", r.body, "after the refresh")
	a.clock.Advance(80 * time.Second) // past TTL and stale window
	r = a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	st := a.cache.Service().Stats()
	require.Equal(t, uint64(1), st.Stale, "stats %+v", st)
}

func TestStaleIfError(t *testing.T) {
	for _, mode := range []string{"500", "panic"} {
		t.Run(mode, func(t *testing.T) {
			a := newStaleApp(t)
			r := a.do("GET", "/doc")
			require.Equal(t, "MISS", r.xcache(), r.String())
			a.clock.Advance(15 * time.Second)
			a.mode = mode
			for i := range 3 {
				r := a.do("GET", "/doc")
				require.Equal(t, "STALE", r.xcache(), r.String())
				require.Equal(t, 200, r.status, "request %d: %d %q; the failed refresh must not reach the client", i, r.status, r.body)
				require.Equal(t, "v1", r.body, "request %d: %d %q; the failed refresh must not reach the client", i, r.status, r.body)
				a.settled(t, 2+i) // each stale request retries the refresh
			}
			a.mode = ""
			r = a.do("GET", "/doc") // this one refreshes
			require.Equal(t, "STALE", r.xcache(), r.String())
			a.settled(t, 5)
			r = a.do("GET", "/doc")
			require.Equal(t, "HIT", r.xcache(), r.String())
		})
	}
}

func TestInvalidatedEntryNeverServedStale(t *testing.T) {
	a := newStaleApp(t)
	r := a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	a.clock.Advance(15 * time.Second)
	a.do("PUT", "/doc")
	r = a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	require.Equal(t, "v2", r.body)
}

// TestOneRefreshPerKey: while one request refreshes, the others get the
// stale entry at once, without waiting, and the handler runs once.
func TestOneRefreshPerKey(t *testing.T) {
	a := newStaleApp(t)
	r := a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	a.clock.Advance(15 * time.Second)
	a.mode = "block"
	// The refresher's client gets its stale answer before the refresh runs.
	first := make(chan response)
	go func() { first <- a.do("GET", "/doc") }()
	<-a.entered
	for range 5 {
		r := a.do("GET", "/doc")
		require.Equal(t, "STALE", r.xcache(), r.String())
		require.Equal(t, "v1", r.body)
	}
	a.version = 3
	close(a.release)
	r = <-first
	require.Equal(t, "STALE", r.xcache(), r.String())
	a.settled(t, 2)
	require.Equal(t, 2, a.runs.get(), "handler ran %d times", a.runs.get())
	r = a.do("GET", "/doc")
	require.Equal(t, "HIT", r.xcache(), r.String())
	require.Equal(t, "v3", r.body, "after refresh")
}

// TestStaleRefresherClientGetsAnswerBeforeRefresh: the refresher's client
// holds the whole stale response while the handler still runs.
func TestStaleRefresherClientGetsAnswerBeforeRefresh(t *testing.T) {
	a := newStaleApp(t)
	r := a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	a.clock.Advance(15 * time.Second)
	a.mode = "block"
	res, err := testClient.Get(a.url("/doc"))
	require.NoError(t, err)
	body, err := io.ReadAll(io.LimitReader(res.Body, 2))
	require.NoError(t, err, "%q %v %v", body, err, res.Header)
	require.Equal(t, "v1", string(body), "%q %v %v", body, err, res.Header)
	require.Equal(t, "STALE", res.Header.Get("X-Cache"), "%q %v %v", body, err, res.Header)
	<-a.entered // the refresh is running, the client already has v1
	close(a.release)
	res.Body.Close()
}
