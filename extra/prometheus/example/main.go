// Command example serves the Quick Start API of gin-intelligent-cache
// with Prometheus metrics at /metrics: the cache's counters (hits,
// misses, skips, stores, invalidations, backend errors) and a histogram
// of its backend calls, labelled by route pattern.
//
//	cd extra/prometheus && go run ./example     # listens on :8080, or $ADDR
//	curl -s localhost:8080/items > /dev/null; curl -s localhost:8080/items > /dev/null
//	curl -s localhost:8080/metrics | grep '^gincache_'
package main

import (
	"log"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/exampleserver"
	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"

	gincacheprom "github.com/intelligentcache/gin-intelligent-cache/extra/prometheus"
)

// newEngine builds the application and its metrics registry.
func newEngine() (*gin.Engine, *gincache.Cache, error) {
	obs := gincacheprom.NewObserver()
	cache, err := gincache.New(quickstart.CachePolicies, gincache.WithObserver(obs))
	if err != nil {
		return nil, nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		obs,
		gincacheprom.NewCollector(cache),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	r := gin.New()
	r.Use(gin.Recovery())
	// /metrics is outside the cache middleware: a scrape is never cached.
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	app := r.Group("/", cache.Middleware())
	api := &quickstart.API{Store: quickstart.NewStore()}
	api.Register(app)
	if err := cache.CheckRoutes(r.Routes()); err != nil {
		cache.Close()
		return nil, nil, err
	}
	return r, cache, nil
}

func main() {
	r, cache, err := newEngine()
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	exampleserver.Main(r, func(base string) {
		log.Printf("Quick Start API with metrics on %s; try: curl -s %s/metrics | grep ^gincache_", exampleserver.Addr(), base)
	})
}
