package gincache

import (
	"sort"
	"sync/atomic"
)

// routeStats are one route's counters. Each is an atomic add on the
// request path; totals are summed when read, so a hit touches one counter
// and reading never blocks a request.
type routeStats struct {
	hits          atomic.Uint64
	nearHits      atomic.Uint64
	stale         atomic.Uint64
	misses        atomic.Uint64
	stores        atomic.Uint64
	invalidations atomic.Uint64
	backendErrors atomic.Uint64
	skips         [numSkipReasons]atomic.Uint64
	notStored     [numNotStored]atomic.Uint64
}

func (s *routeStats) skip(r skipReason) { s.skips[r].Add(1) }

func (s *routeStats) unstored(r notStoredReason) { s.notStored[r].Add(1) }

// Stats is a snapshot of the cache's counters. Its JSON form is what the
// admin API's /stats returns.
type Stats struct {
	Hits    uint64  `json:"hits"`
	Misses  uint64  `json:"misses"`
	HitRate float64 `json:"hit_rate"`
	// NearHits counts hits served from a near cache (backend/near),
	// without a round trip (included in Hits).
	NearHits uint64 `json:"near_hits"`
	// Stale counts stale entries served (included in Hits).
	Stale uint64 `json:"stale"`
	// Skips counts requests that bypassed the cache, by reason.
	Skips map[string]uint64 `json:"skips"`
	// NotStored counts responses produced on a miss but not kept, by
	// reason.
	NotStored     map[string]uint64 `json:"not_stored"`
	Stores        uint64            `json:"stores"`
	Invalidations uint64            `json:"invalidations"`
	BackendErrors uint64            `json:"backend_errors"`
	Routes        []RouteStats      `json:"routes"`
}

// RouteStats are one route's counters. Routes are labelled by their Gin
// pattern, never by a raw URL.
type RouteStats struct {
	Method        string            `json:"method"`
	Route         string            `json:"route"`
	Cached        bool              `json:"cached"`
	Hits          uint64            `json:"hits"`
	Misses        uint64            `json:"misses"`
	HitRate       float64           `json:"hit_rate"`
	NearHits      uint64            `json:"near_hits"`
	Stale         uint64            `json:"stale"`
	Skips         map[string]uint64 `json:"skips,omitempty"`
	NotStored     map[string]uint64 `json:"not_stored,omitempty"`
	Stores        uint64            `json:"stores"`
	Invalidations uint64            `json:"invalidations"`
	BackendErrors uint64            `json:"backend_errors"`
}

func hitRate(hits, misses uint64) float64 {
	if hits+misses == 0 {
		return 0
	}
	return float64(hits) / float64(hits+misses)
}

// snapshot reads the counters of every route and of the cache itself.
func (c *Cache) snapshot() Stats {
	st := Stats{Skips: map[string]uint64{}, NotStored: map[string]uint64{}, Routes: []RouteStats{}}
	all := []*routeState{}
	if p := c.routes.all.Load(); p != nil {
		all = *p
	}
	add := func(rs *routeStats, into *RouteStats) {
		into.Hits = rs.hits.Load()
		into.NearHits = rs.nearHits.Load()
		into.Stale = rs.stale.Load()
		into.Misses = rs.misses.Load()
		into.Stores = rs.stores.Load()
		into.Invalidations = rs.invalidations.Load()
		into.BackendErrors = rs.backendErrors.Load()
		into.HitRate = hitRate(into.Hits, into.Misses)
		for r := skipNone + 1; r < numSkipReasons; r++ {
			if n := rs.skips[r].Load(); n > 0 {
				if into.Skips == nil {
					into.Skips = map[string]uint64{}
				}
				into.Skips[r.String()] = n
				st.Skips[r.String()] += n
			}
		}
		for r := range numNotStored {
			if n := rs.notStored[r].Load(); n > 0 {
				if into.NotStored == nil {
					into.NotStored = map[string]uint64{}
				}
				into.NotStored[r.String()] = n
				st.NotStored[r.String()] += n
			}
		}
		st.Hits += into.Hits
		st.NearHits += into.NearHits
		st.Stale += into.Stale
		st.Misses += into.Misses
		st.Stores += into.Stores
		st.Invalidations += into.Invalidations
		st.BackendErrors += into.BackendErrors
	}
	for _, rs := range all {
		r := RouteStats{Method: rs.method, Route: rs.path, Cached: rs.cached}
		add(&rs.stats, &r)
		if rs.path == "" {
			r.Route = "(unmatched)"
		}
		st.Routes = append(st.Routes, r)
	}
	// Service calls (Invalidate, ClearPattern, ...) count here.
	var svc RouteStats
	add(&c.serviceStats, &svc)
	st.HitRate = hitRate(st.Hits, st.Misses)
	sort.Slice(st.Routes, func(i, j int) bool {
		a, b := st.Routes[i], st.Routes[j]
		return a.Route < b.Route || a.Route == b.Route && a.Method < b.Method
	})
	return st
}

// reset zeroes every counter.
func (s *routeStats) reset() {
	s.hits.Store(0)
	s.nearHits.Store(0)
	s.stale.Store(0)
	s.misses.Store(0)
	s.stores.Store(0)
	s.invalidations.Store(0)
	s.backendErrors.Store(0)
	for i := range s.skips {
		s.skips[i].Store(0)
	}
	for i := range s.notStored {
		s.notStored[i].Store(0)
	}
}
