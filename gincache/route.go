package gincache

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
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
	// identity: the key holds an identity (Policy.Identity), so
	// Cache-Control: private responses may be stored. ctxIdentity: one of
	// them is a context key set by the authentication middleware, which
	// covers every credential and lets an AuthGate run after the cache.
	identity    bool
	ctxIdentity bool
	// credFree: credentials never bypass (Public, or a context identity).
	// Otherwise credHeaders lists the credential headers the key does not
	// hold (those a header or cookie identity covers are left out): a
	// request carrying one is passed through.
	credFree    bool
	credHeaders []string
	credParams  []string // the credential query parameters
	// credLens has bit n set when a credential parameter is n bytes long
	// (n >= 63 share bit 63): most names are ruled out by their length.
	credLens  uint64
	query     []string // nil: every parameter counts
	queryNone bool     // an empty list: none counts
	// qmemo remembers the canonical queries of recent hits (keys.go);
	// nil when the key holds no query.
	qmemo   *queryMemo
	targets []target

	// misordered: an authentication middleware marked with Auth (or an
	// AuthGate, on a route without a context identity) runs after the
	// cache on this route; it is never cached.
	misordered bool

	// headers interns the header field sets of the route's entries.
	headers headerSets

	stats routeStats
}

// uncoveredCredential reports whether the request carries a credential
// header the route's key does not hold.
func (rs *routeState) uncoveredCredential(h http.Header) bool {
	if rs.credFree || len(h) == 0 {
		return false
	}
	if len(h) < len(rs.credHeaders) {
		for name, vals := range h {
			if len(vals) > 0 && slices.Contains(rs.credHeaders, name) {
				return true
			}
		}
		return false
	}
	for _, name := range rs.credHeaders {
		if len(h[name]) > 0 {
			return true
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

// credQuery reports whether the query parameter name carries a
// credential (WithCredentialQuery).
func (rs *routeState) credQuery(name string) bool {
	if rs.credLens&lenBit(len(name)) == 0 {
		return false
	}
	return slices.Contains(rs.credParams, name)
}

// lenBit is the credLens bit of a name n bytes long.
func lenBit(n int) uint64 { return 1 << min(n, 63) }

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
	// bound maps "METHOD /path" to the Path-less table entries CheckRoutes
	// bound to a registered route.
	bound atomic.Pointer[map[string]*Policy]
	mu    sync.Mutex
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
	rs := c.newRouteState(method, path, c.lookupPolicy(method, path))
	if rs.cached {
		switch kind := authAfter(gc); {
		case kind == isAuth:
			rs.misordered = true
			c.cfg.logger.Error("gincache: an authentication middleware (gincache.Auth) runs after the cache on this route; it will not be cached: register the cache after it",
				"method", method, "route", path, "handlers", gc.HandlerNames())
		case kind == isGate && !rs.ctxIdentity:
			rs.misordered = true
			c.cfg.logger.Error("gincache: an authentication gate (gincache.AuthGate) runs after the cache on a route whose key holds no identity set before the cache; it will not be cached: add the context key to the policy's Identity, or register the cache after the gate",
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
// only, then among the Path-less entries CheckRoutes bound to a route.
// Never by handler name alone: routes that share a handler (across auth
// groups, say) must not share one route's policy.
func (c *Cache) lookupPolicy(method, path string) *Policy {
	if path == "" {
		return nil
	}
	for i := range c.table {
		r := &c.table[i]
		if r.Method == method && r.Path == path {
			return &r.Policy
		}
	}
	if b := c.routes.bound.Load(); b != nil {
		return (*b)[method+" "+path]
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
		covered := map[string]bool{}
		for _, v := range p.Identity {
			src, _ := parseVary(v) // validated by New
			src.identity = true
			rs.vary = append(rs.vary, src)
			rs.identity = true
			switch src.kind {
			case varyContext:
				rs.ctxIdentity = true
			case varyHeader:
				covered[src.name] = true
			case varyCookie:
				covered["Cookie"] = true
			}
		}
		for _, v := range p.Vary {
			src, _ := parseVary(v)
			rs.vary = append(rs.vary, src)
		}
		rs.credFree = p.Public || rs.ctxIdentity
		rs.credParams = c.credQuery
		for _, name := range rs.credParams {
			rs.credLens |= lenBit(len(name))
		}
		for _, name := range c.credHeaders {
			if !covered[name] {
				rs.credHeaders = append(rs.credHeaders, name)
			}
		}
		if p.Query != nil {
			rs.query = p.Query
			rs.queryNone = len(p.Query) == 0
		}
		if !rs.queryNone {
			rs.qmemo = newQueryMemo()
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

// parseTarget parses a validated Invalidate entry (policy.ParseTarget).
func parseTarget(s string) target {
	pt, _ := policy.ParseTarget(s) // validated by New
	t := target{subtree: pt.Subtree}
	for _, seg := range pt.Segments {
		if name, ok := policy.Param(seg); ok {
			t.segs = append(t.segs, targetSeg{text: name, param: true})
		} else {
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
