package gincacheprom_test

import (
	"net/http/httptest"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"

	gincacheprom "github.com/intelligentcache/gin-intelligent-cache/extra/prometheus"
)

// The Observer goes to gincache.New; the Collector reads the cache's
// counters at each scrape.
func Example() {
	obs := gincacheprom.NewObserver()
	cache, err := gincache.New(gincache.Table{
		{Method: "GET", Path: "/items/:id", Policy: gincache.Policy{TTL: time.Minute}},
	}, gincache.WithObserver(obs))
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(obs, gincacheprom.NewCollector(cache))

	r := gin.New()
	r.Use(cache.Middleware())
	r.GET("/items/:id", func(c *gin.Context) { c.String(200, "item") })
	for _, id := range []string{"1", "1", "1", "2"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/"+id, nil))
	}

	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "gincache_hits_total" || mf.GetName() == "gincache_misses_total" {
			expfmt.MetricFamilyToText(os.Stdout, mf)
		}
	}
	// Output:
	// # HELP gincache_hits_total Cached responses served (HIT), stale ones included.
	// # TYPE gincache_hits_total counter
	// gincache_hits_total{method="GET",route="/items/:id"} 2
	// # HELP gincache_misses_total Lookups that found no valid entry and ran the handler (MISS).
	// # TYPE gincache_misses_total counter
	// gincache_misses_total{method="GET",route="/items/:id"} 2
}
