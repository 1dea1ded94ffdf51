package gincache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// hierarchyApp serves a resource tree: GETs cached, writes answering with
// the given status.
func hierarchyApp(t *testing.T, extra Table, opts ...Option) (*testApp, *counter) {
	t.Helper()
	patterns := []string{"/", "/spaces", "/spaces/:id", "/spaces/:id/items", "/spaces/:id/items/:item", "/other", "/reports/summary", "/stats/:id/daily"}
	var table Table
	for _, p := range patterns {
		table = append(table, get(p, time.Hour))
	}
	table = append(table, extra...)
	a := newTestApp(t, table, opts...)
	a.engine.Use(a.cache.Middleware())
	n := &counter{}
	for _, p := range patterns {
		a.engine.GET(p, func(c *gin.Context) { c.String(200, "%s #%d", c.Request.URL.Path, n.inc()) })
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			a.engine.Handle(m, p, func(c *gin.Context) {
				status := http.StatusOK
				if s := c.Query("status"); s != "" {
					fmt.Sscan(s, &status)
				}
				c.String(status, "written")
			})
		}
	}
	return a, n
}

var hierarchyGETs = []string{
	"/", "/spaces", "/spaces/1", "/spaces/1/items", "/spaces/1/items/7", "/spaces/1/items/8",
	"/spaces/2", "/spaces/2/items", "/other",
}

// fillAll caches every GET and checks each is then a HIT.
func fillAll(t *testing.T, a *testApp, paths []string) {
	t.Helper()
	for _, p := range paths {
		a.do("GET", p)
		r := a.do("GET", p)
		require.Equal(t, "HIT", r.xcache(), r.String())
	}
}

// invalidated returns which of paths now miss.
func invalidated(t *testing.T, a *testApp, paths []string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		if a.do("GET", p).xcache() == "MISS" {
			out = append(out, p)
		}
	}
	return out
}

// TestHierarchy is the table the README shows: a write at each level
// against a cached GET at each level.
func TestHierarchy(t *testing.T) {
	subtree1 := []string{"/", "/spaces", "/spaces/1", "/spaces/1/items", "/spaces/1/items/7", "/spaces/1/items/8"}
	cases := []struct {
		method, path string
		want         []string
	}{
		{"POST", "/", []string{"/"}},
		{"PUT", "/", hierarchyGETs},
		{"POST", "/spaces", []string{"/", "/spaces"}},
		{"PUT", "/spaces", []string{"/", "/spaces", "/spaces/1", "/spaces/1/items", "/spaces/1/items/7", "/spaces/1/items/8", "/spaces/2", "/spaces/2/items"}},
		{"PUT", "/spaces/1", subtree1},
		{"PATCH", "/spaces/1", subtree1},
		{"DELETE", "/spaces/1", subtree1},
		{"POST", "/spaces/1/items", []string{"/", "/spaces", "/spaces/1", "/spaces/1/items"}},
		{"DELETE", "/spaces/1/items", []string{"/", "/spaces", "/spaces/1", "/spaces/1/items", "/spaces/1/items/7", "/spaces/1/items/8"}},
		{"PUT", "/spaces/1/items/7", []string{"/", "/spaces", "/spaces/1", "/spaces/1/items", "/spaces/1/items/7"}},
		{"PATCH", "/spaces/1/items/7", []string{"/", "/spaces", "/spaces/1", "/spaces/1/items", "/spaces/1/items/7"}},
		{"DELETE", "/spaces/1/items/7", []string{"/", "/spaces", "/spaces/1", "/spaces/1/items", "/spaces/1/items/7"}},
		{"POST", "/spaces/1/items/7", []string{"/", "/spaces", "/spaces/1", "/spaces/1/items", "/spaces/1/items/7"}},
		{"DELETE", "/other", []string{"/", "/other"}},
		// Path spellings that Gin routes alike share tokens.
		{"PUT", "/spaces/%31", subtree1},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			a, _ := hierarchyApp(t, nil)
			fillAll(t, a, hierarchyGETs)
			r := a.do(tc.method, tc.path)
			require.Equal(t, 200, r.status, "write answered")
			got := invalidated(t, a, hierarchyGETs)
			require.Equal(t, tc.want, got, "invalidated")
		})
	}
}

func TestFailedWritesInvalidateNothing(t *testing.T) {
	for _, status := range []int{400, 401, 404, 409, 500, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			a, _ := hierarchyApp(t, nil)
			fillAll(t, a, hierarchyGETs)
			a.do("PUT", fmt.Sprintf("/spaces/1?status=%d", status))
			got := invalidated(t, a, hierarchyGETs)
			require.Empty(t, got, "a failed write invalidated")
		})
	}
	t.Run("303 invalidates", func(t *testing.T) {
		a, _ := hierarchyApp(t, nil)
		fillAll(t, a, hierarchyGETs)
		a.do("POST", "/spaces?status=303")
		got := invalidated(t, a, hierarchyGETs)
		require.Equal(t, []string{"/", "/spaces"}, got, "invalidated")
	})
}

func TestExplicitTargetsAndOff(t *testing.T) {
	extra := Table{
		{Method: "POST", Path: "/spaces/:id/items", Policy: Policy{Invalidate: []string{"/reports/summary", "/stats/:id/*"}}},
		{Method: "PATCH", Path: "/spaces/:id", Policy: Policy{NoInvalidate: true}},
		{Method: "DELETE", Path: "/other", Policy: Policy{NoInvalidate: true, Invalidate: []string{"/reports/summary"}}},
	}
	gets := append(slices.Clone(hierarchyGETs), "/reports/summary", "/stats/1/daily", "/stats/2/daily")

	a, _ := hierarchyApp(t, extra)
	fillAll(t, a, gets)
	a.do("POST", "/spaces/1/items")
	want := []string{"/", "/spaces", "/spaces/1", "/spaces/1/items", "/reports/summary", "/stats/1/daily"}
	got := invalidated(t, a, gets)
	require.Equal(t, want, got, "POST with targets invalidated")

	b, _ := hierarchyApp(t, extra)
	fillAll(t, b, gets)
	b.do("PATCH", "/spaces/1")
	got = invalidated(t, b, gets)
	require.Empty(t, got, "NoInvalidate write invalidated")
	b.do("DELETE", "/other")
	got = invalidated(t, b, gets)
	require.Equal(t, []string{"/reports/summary"}, got, "NoInvalidate with a target invalidated")
}

// TestInvalidateMiddlewareOutsideCachedGroup: writes registered outside
// the cached group are covered by the global Invalidate middleware, once.
func TestInvalidateMiddlewareOutsideCachedGroup(t *testing.T) {
	a := newTestApp(t, Table{get("/api/items", time.Hour)})
	a.engine.Use(a.cache.Invalidate())
	api := a.engine.Group("/api", a.cache.Middleware())
	api.GET("/items", func(c *gin.Context) { c.String(200, "items") })
	a.engine.POST("/api/items", func(c *gin.Context) { c.String(201, "made") })
	api.PUT("/api/items", func(c *gin.Context) { c.String(200, "both") }) // under both middlewares
	a.engine.GET("/plain", func(c *gin.Context) { c.String(200, "plain") })

	r := a.do("GET", "/api/items")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = a.do("GET", "/api/items")
	require.Equal(t, "HIT", r.xcache(), r.String())
	a.do("POST", "/api/items")
	r = a.do("GET", "/api/items")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = a.do("GET", "/plain")
	require.Empty(t, r.header.Get("X-Cache"), "Invalidate touched a GET: %v", r.header)
	before := a.cache.Service().Stats().Invalidations
	a.do("PUT", "/api/api/items")
	got := a.cache.Service().Stats().Invalidations - before
	require.Equal(t, uint64(1), got, "a write under both middlewares invalidated %d times", got)
}

// TestInvalidatedBeforeFirstByte: once the client holds the write's
// status line, a GET served anywhere misses, even while the handler is
// still writing its body.
func TestInvalidatedBeforeFirstByte(t *testing.T) {
	a := newTestApp(t, Table{get("/doc", time.Hour)})
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/doc", func(c *gin.Context) { c.String(200, "doc") })
	release := make(chan struct{})
	a.engine.PUT("/doc", func(c *gin.Context) {
		c.Writer.WriteString("first part;")
		c.Writer.Flush()
		<-release
		c.Writer.WriteString("rest")
	})
	a.do("GET", "/doc")
	r := a.do("GET", "/doc")
	require.Equal(t, "HIT", r.xcache(), r.String())

	req, _ := http.NewRequest("PUT", a.url("/doc"), nil)
	res, err := testClient.Do(req) // returns once the headers have arrived
	require.NoError(t, err)
	r = a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	close(release)
	res.Body.Close()
}

// ctxBackend fails Renew when its context is cancelled, as a networked
// backend would; the memory backend ignores contexts, so this is the one
// place a wrapper stands in for the real thing.
type ctxBackend struct{ *memory.Memory }

func (b ctxBackend) Renew(ctx context.Context, names []string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.Memory.Renew(ctx, names, ttl)
}

func TestInvalidationSurvivesClientHangingUp(t *testing.T) {
	clock := testutil.NewClock()
	mem, _ := memory.New(memory.Options{Now: clock.Now})
	defer mem.Close()
	c, err := New(Table{get("/doc", time.Hour)}, WithBackend(ctxBackend{mem}), WithClock(clock.Now), quiet)
	require.NoError(t, err)
	defer c.Close()
	a := &testApp{t: t, cache: c, engine: gin.New(), clock: clock, mem: mem}
	a.engine.Use(c.Middleware())
	a.engine.GET("/doc", func(c *gin.Context) { c.String(200, "doc") })
	gone := make(chan struct{})
	done := make(chan struct{})
	a.engine.PUT("/doc", func(gc *gin.Context) {
		<-gc.Request.Context().Done() // the client has hung up
		close(gone)
		gc.String(200, "ok")
		close(done)
	})
	a.do("GET", "/doc")
	r := a.do("GET", "/doc")
	require.Equal(t, "HIT", r.xcache(), r.String())
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "PUT", a.url("/doc"), nil)
	go func() { <-time.After(50 * time.Millisecond); cancel() }()
	_, err = testClient.Do(req)
	require.ErrorIs(t, err, context.Canceled, "want a cancelled request")
	<-gone
	<-done
	r = a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	st := c.Service().Stats()
	require.Equal(t, uint64(0), st.BackendErrors, "stats %+v", st)
	require.Equal(t, uint64(1), st.Invalidations, "stats %+v", st)
}

// failingBackend fails every Renew while failing is set: a backend
// outage during a write, which the memory backend cannot produce.
type failingBackend struct {
	*memory.Memory
	mu      sync.Mutex
	failing bool
}

func (b *failingBackend) Renew(ctx context.Context, names []string, ttl time.Duration) error {
	b.mu.Lock()
	f := b.failing
	b.mu.Unlock()
	if f {
		return errors.New("backend down")
	}
	return b.Memory.Renew(ctx, names, ttl)
}

func TestFailedInvalidationStopsHitsUntilEpochRenewed(t *testing.T) {
	clock := testutil.NewClock()
	mem, _ := memory.New(memory.Options{Now: clock.Now})
	defer mem.Close()
	fb := &failingBackend{Memory: mem}
	c, err := New(Table{get("/a", time.Hour), get("/b", time.Hour)}, WithBackend(fb), WithClock(clock.Now), quiet)
	require.NoError(t, err)
	defer c.Close()
	a := &testApp{t: t, cache: c, engine: gin.New(), clock: clock, mem: mem}
	a.engine.Use(c.Middleware())
	for _, p := range []string{"/a", "/b"} {
		a.engine.GET(p, func(c *gin.Context) { c.String(200, "x") })
		a.engine.PUT(p, func(c *gin.Context) { c.String(200, "w") })
	}
	fillAll(t, a, []string{"/a", "/b"})
	fb.mu.Lock()
	fb.failing = true
	fb.mu.Unlock()
	r := a.do("PUT", "/a")
	require.Equal(t, 200, r.status, "a failed invalidation must not fail the write")
	// /a may hold a stale entry: no hits at all, on any path.
	r = a.do("GET", "/b")
	require.Equal(t, "SKIP", r.xcache(), r.String())
	require.Equal(t, "gincache; fwd=bypass; detail=epoch-pending", r.header.Get("Cache-Status"), "Cache-Status")
	fb.mu.Lock()
	fb.failing = false
	fb.mu.Unlock()
	clock.Advance(time.Second) // past the retry spacing
	// The epoch is renewed: every old entry is gone, caching resumes.
	r = a.do("GET", "/a")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = a.do("GET", "/b")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = a.do("GET", "/b")
	require.Equal(t, "HIT", r.xcache(), r.String())
	require.True(t, c.Service().Health(t.Context()).ServingHits, "health says hits are still off")
}

// TestStaleFillRace: a slow fill that overlapped a write is never served
// after the write.
func TestStaleFillRace(t *testing.T) {
	a := newTestApp(t, Table{get("/doc", time.Hour)})
	a.engine.Use(a.cache.Middleware())
	var mu sync.Mutex
	version := 1
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	slow := true
	a.engine.GET("/doc", func(c *gin.Context) {
		mu.Lock()
		v, s := version, slow
		slow = false
		mu.Unlock()
		if s {
			entered <- struct{}{}
			<-release
		}
		c.String(200, "v%d", v)
	})
	a.engine.PUT("/doc", func(c *gin.Context) {
		mu.Lock()
		version++
		mu.Unlock()
		c.String(200, "ok")
	})
	for _, tokensExist := range []bool{false, true} {
		t.Run(fmt.Sprintf("tokens exist %v", tokensExist), func(t *testing.T) {
			mu.Lock()
			slow = true
			mu.Unlock()
			if tokensExist {
				a.do("PUT", "/doc")
			}
			a.clock.Advance(2 * time.Hour) // anything cached before is gone
			release = make(chan struct{})
			got := make(chan response)
			go func() { got <- a.do("GET", "/doc") }()
			<-entered
			a.do("PUT", "/doc") // completes while the fill is running
			mu.Lock()
			want := fmt.Sprintf("v%d", version)
			mu.Unlock()
			close(release)
			<-got // the slow fill's own response is old; that is fine
			for range 2 {
				r := a.do("GET", "/doc")
				require.Equal(t, want, r.body, "after the write, got %q (%s)", r.body, r.xcache())
			}
		})
	}
}

// TestEpochRenewedInBackground: after a failed invalidation the instance
// renews the epoch by itself once the backend is back, without waiting
// for a GET, and Close stops the goroutine that does it.
func TestEpochRenewedInBackground(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clock := testutil.NewClock()
	mem, _ := memory.New(memory.Options{Now: clock.Now})
	defer mem.Close()
	fb := &failingBackend{Memory: mem, failing: true}
	c, err := New(Table{get("/a", time.Hour)}, WithBackend(fb), WithClock(clock.Now), quiet)
	require.NoError(t, err)
	r := gin.New()
	r.Use(c.Middleware())
	r.PUT("/a", func(c *gin.Context) { c.String(200, "w") })
	serve(r, "PUT", "/a")
	require.False(t, c.Service().Health(t.Context()).ServingHits, "hits should stop after a failed invalidation")
	fb.mu.Lock()
	fb.failing = false
	fb.mu.Unlock()
	clock.Advance(time.Second)
	testutil.WaitFor(t, "the background renewal", func() bool { return c.Service().Health(t.Context()).ServingHits })
	// A second failure starts it again; Close stops it.
	fb.mu.Lock()
	fb.failing = true
	fb.mu.Unlock()
	serve(r, "PUT", "/a")
	c.Close()
}
