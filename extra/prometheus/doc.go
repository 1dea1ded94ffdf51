// Package gincacheprom exports the counters of a gin-intelligent-cache
// cache and the latency of its backend calls to Prometheus. It lives in
// its own module, github.com/intelligentcache/gin-intelligent-cache/extra/prometheus,
// so that the core module does not depend on client_golang; import it
// under its package name:
//
//	import gincacheprom "github.com/intelligentcache/gin-intelligent-cache/extra/prometheus"
//
// # Use
//
// The Observer goes to gincache.New, the Collector is built from the
// cache, and both are registered:
//
//	obs := gincacheprom.NewObserver()
//	cache, err := gincache.New(CachePolicies, gincache.WithObserver(obs))
//	...
//	prometheus.MustRegister(obs, gincacheprom.NewCollector(cache))
//	r.GET("/metrics", gin.WrapH(promhttp.Handler()))
//
// extra/prometheus/example is a runnable server doing this.
//
// # Metrics
//
// Every series is labelled by the Gin route pattern ("/spaces/:id") and
// method, never by the raw URL, so their number is bounded by the routes.
// Counters (read from gincache.Stats at each scrape, so a ResetStats shows
// as a counter reset):
//
//	gincache_hits_total{method,route}
//	gincache_stale_hits_total{method,route}          hits served stale (counted in hits too)
//	gincache_misses_total{method,route}
//	gincache_stores_total{method,route}
//	gincache_skips_total{method,route,reason}        requests that bypassed the cache
//	gincache_not_stored_total{method,route,reason}   responses not kept
//	gincache_invalidations_total{method,route}
//	gincache_backend_errors_total{method,route}
//
// Invalidations and backend errors of Service calls (the admin API,
// Service.Invalidate) carry route="(service)" and method="".
//
// The histogram (observed on the request path by the Observer):
//
//	gincache_backend_call_duration_seconds{op,method,route}
//
// op is lookup, store, invalidate or epoch (gincache.BackendOp). The
// buckets (DefaultBuckets) run from 10µs, for the memory backend, to 1s,
// past the cache's default budgets. The hit rate is
//
//	sum(rate(gincache_hits_total[5m])) /
//	  (sum(rate(gincache_hits_total[5m])) + sum(rate(gincache_misses_total[5m])))
package gincacheprom
