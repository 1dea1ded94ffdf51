package gincache

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// routeState is everything about one route that does not change per
// request, resolved at its first request and never again: the policy, the
// parsed vary sources and query list, the invalidation targets, the stats
// counters.
type routeState struct {
	method string
	path   string // c.FullPath(); "" for requests no route matched

	cached bool // a GET with a policy
	policy Policy
	ttl    time.Duration
	stale  time.Duration
	vary   []varySource
	// keyed are the keyed headers (WithKeyedHeaders) not already in vary:
	// in the key when the request carries them.
	keyed []varySource
	// identity: the key holds who asks (a context key, the Authorization
	// header or a cookie), so Authorization and Cookie need not bypass.
	identity  bool
	query     []string // nil: every parameter counts
	queryNone bool     // an empty list: none counts
	targets   []target

	// misordered: an authentication middleware runs after the cache on
	// this route (WithAuthMiddleware); it is never cached.
	misordered bool

	stats routeStats
}

// authAfterCache reports whether any of the configured authentication
// middlewares comes after the cache's middleware in a route's chain.
func (c *Cache) authAfterCache(chain []string) bool {
	cacheAt := -1
	for i, name := range chain {
		if name == c.middlewareName && cacheAt < 0 {
			cacheAt = i
		}
		for _, auth := range c.cfg.authNames {
			if name == auth && cacheAt >= 0 {
				return true
			}
		}
	}
	return false
}

// target is a parsed Invalidate entry: segments, some of them route
// parameters, and whether it covers the subtree.
type target struct {
	segs    []targetSeg
	subtree bool
}

type targetSeg struct {
	text  string
	param bool // text is a parameter name
}

func (rs *routeState) queryAllowed(name string) bool {
	for _, q := range rs.query {
		if q == name {
			return true
		}
	}
	return false
}

// methodSlot numbers the methods the cache acts on; others pass through.
type methodSlot int

const (
	slotGET methodSlot = iota
	slotPOST
	slotPUT
	slotPATCH
	slotDELETE
	numSlots
	slotOther methodSlot = -1
)

func slotOf(method string) methodSlot {
	switch method {
	case http.MethodGet:
		return slotGET
	case http.MethodPost:
		return slotPOST
	case http.MethodPut:
		return slotPUT
	case http.MethodPatch:
		return slotPATCH
	case http.MethodDelete:
		return slotDELETE
	}
	return slotOther
}

// routeTable resolves requests to route states. Each method slot holds an
// immutable map from FullPath, replaced whole (copy on write) when a new
// route is first seen, so the per-request lookup is an atomic load and a
// map read, without locks or allocations.
type routeTable struct {
	byPath [numSlots]atomic.Pointer[map[string]*routeState]
	mu     sync.Mutex
	// all lists every state in the order resolved, for stats.
	all atomic.Pointer[[]*routeState]
}

// route returns the state of the request's route, resolving it on first
// sight.
func (c *Cache) route(gc *gin.Context, slot methodSlot) *routeState {
	path := gc.FullPath()
	if m := c.routes.byPath[slot].Load(); m != nil {
		if rs, ok := (*m)[path]; ok {
			return rs
		}
	}
	return c.resolve(gc, slot, path)
}

func (c *Cache) resolve(gc *gin.Context, slot methodSlot, path string) *routeState {
	t := &c.routes
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.byPath[slot].Load()
	if cur != nil {
		if rs, ok := (*cur)[path]; ok {
			return rs
		}
	}
	method := gc.Request.Method
	handler := ""
	if path != "" {
		// HandlerName calls runtime.FuncForPC: once per route, never per request.
		handler = gc.HandlerName()
	}
	rs := c.newRouteState(method, path, c.lookupPolicy(method, path, handler))
	if rs.cached && len(c.cfg.authNames) > 0 {
		rs.misordered = c.authAfterCache(gc.HandlerNames())
		if rs.misordered {
			c.cfg.logger.Error("gincache: an authentication middleware runs after the cache on this route; it will not be cached",
				"method", method, "route", path, "handlers", gc.HandlerNames())
		}
	}
	next := make(map[string]*routeState)
	if cur != nil {
		next = maps.Clone(*cur)
	}
	next[path] = rs
	t.byPath[slot].Store(&next)
	var all []*routeState
	if p := t.all.Load(); p != nil {
		all = append(all, *p...)
	}
	all = append(all, rs)
	t.all.Store(&all)
	return rs
}

// lookupPolicy finds the table entry for a route: by method and path
// first, then by method and handler name.
func (c *Cache) lookupPolicy(method, path, handler string) *Policy {
	if path == "" {
		return nil
	}
	for i := range c.table {
		r := &c.table[i]
		if r.Method == method && r.Path == path {
			return &r.Policy
		}
	}
	for i := range c.table {
		r := &c.table[i]
		if r.Method == method && r.Handler != "" && r.Handler == handler {
			return &r.Policy
		}
	}
	return nil
}

func (c *Cache) newRouteState(method, path string, p *Policy) *routeState {
	rs := &routeState{method: method, path: path}
	if p == nil {
		return rs
	}
	rs.policy = *p
	if method == http.MethodGet {
		rs.cached = true
		rs.ttl = p.TTL
		if rs.ttl == 0 {
			rs.ttl = c.cfg.defaultTTL
		}
		rs.stale = p.Stale
		for _, v := range p.Vary {
			src, _ := parseVary(v) // validated by New
			rs.vary = append(rs.vary, src)
			if src.kind == varyContext || src.kind == varyCookie ||
				src.kind == varyHeader && src.name == "Authorization" {
				rs.identity = true
			}
		}
		if p.Query != nil {
			rs.query = p.Query
			rs.queryNone = len(p.Query) == 0
		}
		for _, k := range c.keyed {
			if !rs.variesOnHeader(k.name) {
				rs.keyed = append(rs.keyed, k)
			}
		}
	}
	for _, t := range p.Invalidate {
		rs.targets = append(rs.targets, parseTarget(t))
	}
	return rs
}

// parseTarget parses a validated Invalidate entry.
func parseTarget(s string) target {
	var t target
	if rest, ok := strings.CutSuffix(s, "/*"); ok {
		t.subtree = true
		s = rest
	}
	for _, seg := range strings.Split(s, "/") {
		switch {
		case seg == "":
		case seg[0] == ':' || seg[0] == '*':
			t.segs = append(t.segs, targetSeg{text: seg[1:], param: true})
		default:
			t.segs = append(t.segs, targetSeg{text: seg})
		}
	}
	return t
}

// resolve gives the target's path for one request, parameters replaced by
// the write's own (decoded) parameter values.
func (t target) resolve(params gin.Params) string {
	var b strings.Builder
	for _, s := range t.segs {
		b.WriteByte('/')
		if s.param {
			b.WriteString(strings.Trim(params.ByName(s.text), "/"))
		} else {
			b.WriteString(s.text)
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}
