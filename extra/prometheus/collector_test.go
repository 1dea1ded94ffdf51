package gincacheprom_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"

	gincacheprom "github.com/intelligentcache/gin-intelligent-cache/extra/prometheus"
)

func init() { gin.SetMode(gin.TestMode) }

// app is a real Gin engine behind a real HTTP server, its cache observed.
type app struct {
	t     *testing.T
	cache *gincache.Cache
	obs   *gincacheprom.Observer
	url   string
}

func newApp(t *testing.T, opts ...gincacheprom.Option) *app {
	t.Helper()
	obs := gincacheprom.NewObserver(opts...)
	cache, err := gincache.New(gincache.Table{
		{Method: "GET", Path: "/items/:id", Policy: gincache.Policy{TTL: time.Hour}},
		{Method: "GET", Path: "/private", Policy: gincache.Policy{TTL: time.Hour}},
	}, gincache.WithObserver(obs))
	require.NoError(t, err)
	t.Cleanup(func() { cache.Close() })
	r := gin.New()
	g := r.Group("/", cache.Middleware())
	g.GET("/items/:id", func(c *gin.Context) { c.String(200, "item "+c.Param("id")) })
	g.PUT("/items/:id", func(c *gin.Context) { c.Status(204) })
	g.GET("/private", func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.String(200, "private")
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &app{t, cache, obs, srv.URL}
}

func (a *app) do(method, path string, header ...string) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.url+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	res.Body.Close()
}

// TestCollectorCounts drives requests through the cache and compares the
// whole exposition of the counters.
func TestCollectorCounts(t *testing.T) {
	a := newApp(t)
	a.do("GET", "/items/1")                              // miss, stored
	a.do("GET", "/items/1")                              // hit
	a.do("GET", "/items/2")                              // miss, stored
	a.do("GET", "/items/2", "Cache-Control", "no-cache") // skip
	a.do("GET", "/private")                              // miss, not stored: no-store
	a.do("PUT", "/items/1")                              // invalidation
	a.do("GET", "/items/1")                              // miss again
	require.NoError(t, a.cache.Service().Invalidate(context.Background(), "/items/*"))

	c := gincacheprom.NewCollector(a.cache)
	want := `
# HELP gincache_hits_total Cached responses served (HIT), stale ones included.
# TYPE gincache_hits_total counter
gincache_hits_total{method="GET",route="/items/:id"} 1
gincache_hits_total{method="GET",route="/private"} 0
gincache_hits_total{method="PUT",route="/items/:id"} 0
# HELP gincache_misses_total Lookups that found no valid entry and ran the handler (MISS).
# TYPE gincache_misses_total counter
gincache_misses_total{method="GET",route="/items/:id"} 3
gincache_misses_total{method="GET",route="/private"} 1
gincache_misses_total{method="PUT",route="/items/:id"} 0
# HELP gincache_stores_total Responses stored after a miss.
# TYPE gincache_stores_total counter
gincache_stores_total{method="GET",route="/items/:id"} 3
gincache_stores_total{method="GET",route="/private"} 0
gincache_stores_total{method="PUT",route="/items/:id"} 0
# HELP gincache_skips_total Requests that bypassed the cache (SKIP), by reason.
# TYPE gincache_skips_total counter
gincache_skips_total{method="GET",reason="no-cache",route="/items/:id"} 1
# HELP gincache_not_stored_total Responses produced on a miss but not stored, by reason.
# TYPE gincache_not_stored_total counter
gincache_not_stored_total{method="GET",reason="no-store",route="/private"} 1
# HELP gincache_invalidations_total Invalidations: successful writes and Service calls.
# TYPE gincache_invalidations_total counter
gincache_invalidations_total{method="",route="(service)"} 1
gincache_invalidations_total{method="GET",route="/items/:id"} 0
gincache_invalidations_total{method="GET",route="/private"} 0
gincache_invalidations_total{method="PUT",route="/items/:id"} 1
`
	names := []string{"gincache_hits_total", "gincache_misses_total", "gincache_stores_total", "gincache_skips_total", "gincache_not_stored_total", "gincache_invalidations_total"}
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want), names...))
	lint(t, c)
}

// TestObserverHistogram counts the observed backend calls per operation
// and route.
func TestObserverHistogram(t *testing.T) {
	a := newApp(t)
	for range 3 {
		a.do("GET", "/items/7")
	}
	a.do("PUT", "/items/7")
	a.do("GET", "/items/7", "Cache-Control", "no-cache") // skipped: no backend call

	count := func(op, method, route string) uint64 {
		t.Helper()
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(a.obs)
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				l := map[string]string{}
				for _, lp := range m.GetLabel() {
					l[lp.GetName()] = lp.GetValue()
				}
				if l["op"] == op && l["method"] == method && l["route"] == route {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
		return 0
	}
	got := count("lookup", "GET", "/items/:id")
	assert.Equal(t, uint64(3), got, "lookups")
	got = count("store", "GET", "/items/:id")
	assert.Equal(t, uint64(1), got, "stores")
	got = count("invalidate", "PUT", "/items/:id")
	assert.Equal(t, uint64(1), got, "invalidations")
	lint(t, a.obs)
}

// TestRegisterTogether registers both on one pedantic registry, with a
// namespace and constant labels, as an application with two caches would.
func TestRegisterTogether(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	for _, name := range []string{"pages", "api"} {
		opts := []gincacheprom.Option{gincacheprom.WithConstLabels(prometheus.Labels{"cache": name})}
		a := newApp(t, opts...)
		a.do("GET", "/items/1")
		reg.MustRegister(a.obs, gincacheprom.NewCollector(a.cache, opts...))
	}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	series := 0
	for _, mf := range mfs {
		if mf.GetName() == "gincache_misses_total" {
			series = len(mf.GetMetric())
		}
	}
	require.Equal(t, 2, series, "%d gincache_misses_total series", series)
	// A second cache under another namespace registers beside them.
	other := newApp(t)
	other.do("GET", "/items/1")
	reg.MustRegister(gincacheprom.NewCollector(other.cache, gincacheprom.WithNamespace("pagecache")))
	n, err := testutil.GatherAndCount(reg, "pagecache_misses_total")
	require.NoError(t, err, "pagecache_misses_total: %d series, %v", n, err)
	require.Equal(t, 1, n, "pagecache_misses_total: %d series, %v", n, err)
}

// lint registers c on a pedantic registry and checks its metrics follow
// the Prometheus naming and help conventions.
func lint(t *testing.T, c prometheus.Collector) {
	t.Helper()
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	assert.Empty(t, problems, "lint")
}

func TestNewCollectorOfNilCachePanics(t *testing.T) {
	defer func() {
		r := recover()
		require.NotNil(t, r, "recovered %v", r)
		require.Contains(t, r.(string), "nil cache", "recovered %v", r)
	}()
	gincacheprom.NewCollector(nil)
}

func BenchmarkObserveBackend(b *testing.B) {
	obs := gincacheprom.NewObserver()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			obs.ObserveBackend(gincache.OpLookup, "GET", "/items/:id", 250*time.Nanosecond, nil)
		}
	})
}
