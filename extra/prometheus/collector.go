package gincacheprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// ServiceRoute is the route label of the counters of Service calls, which
// belong to no route.
const ServiceRoute = "(service)"

// Collector is a prometheus.Collector of a cache's counters. It holds no
// state of its own: each scrape reads gincache.Stats.
type Collector struct {
	svc *gincache.Service

	hits, nearHits, stale, misses *prometheus.Desc
	stores                        *prometheus.Desc
	skips, notStored              *prometheus.Desc
	invalidations, backendErrors  *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns the Collector of cache. Register it once per
// cache; WithNamespace and WithConstLabels apply.
func NewCollector(cache *gincache.Cache, opts ...Option) *Collector {
	if cache == nil {
		panic("gincacheprom: NewCollector of a nil cache")
	}
	o := newOptions(opts)
	desc := func(name, help string, extra ...string) *prometheus.Desc {
		labels := append([]string{"method", "route"}, extra...)
		return prometheus.NewDesc(prometheus.BuildFQName(o.namespace, "", name), help, labels, o.constLabels)
	}
	return &Collector{
		svc:           cache.Service(),
		hits:          desc("hits_total", "Cached responses served (HIT), stale ones included."),
		nearHits:      desc("near_hits_total", "Hits served from a near cache (backend/near) without a round trip, included in hits_total."),
		stale:         desc("stale_hits_total", "Stale cached responses served while refreshing or on handler failure."),
		misses:        desc("misses_total", "Lookups that found no valid entry and ran the handler (MISS)."),
		stores:        desc("stores_total", "Responses stored after a miss."),
		skips:         desc("skips_total", "Requests that bypassed the cache (SKIP), by reason.", "reason"),
		notStored:     desc("not_stored_total", "Responses produced on a miss but not stored, by reason.", "reason"),
		invalidations: desc("invalidations_total", "Invalidations: successful writes and Service calls."),
		backendErrors: desc("backend_errors_total", "Backend calls that failed."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hits, c.nearHits, c.stale, c.misses, c.stores, c.skips, c.notStored, c.invalidations, c.backendErrors} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.svc.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	// The totals include the Service's own counters, which no route
	// carries: what the routes do not account for is theirs.
	var routeInvalidations, routeErrors uint64
	for _, r := range st.Routes {
		counter(c.hits, r.Hits, r.Method, r.Route)
		counter(c.nearHits, r.NearHits, r.Method, r.Route)
		counter(c.stale, r.Stale, r.Method, r.Route)
		counter(c.misses, r.Misses, r.Method, r.Route)
		counter(c.stores, r.Stores, r.Method, r.Route)
		counter(c.invalidations, r.Invalidations, r.Method, r.Route)
		counter(c.backendErrors, r.BackendErrors, r.Method, r.Route)
		for reason, n := range r.Skips {
			counter(c.skips, n, r.Method, r.Route, reason)
		}
		for reason, n := range r.NotStored {
			counter(c.notStored, n, r.Method, r.Route, reason)
		}
		routeInvalidations += r.Invalidations
		routeErrors += r.BackendErrors
	}
	counter(c.invalidations, st.Invalidations-routeInvalidations, "", ServiceRoute)
	counter(c.backendErrors, st.BackendErrors-routeErrors, "", ServiceRoute)
}
