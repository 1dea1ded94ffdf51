package gincache

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/budget"
)

// Middleware returns the Gin middleware that serves cached GETs and
// invalidates on writes. Register it after authentication, on the group
// whose routes it caches:
//
//	api := r.Group("/api", gincache.Auth(auth), cache.Middleware())
//
// A request on a route without a policy that is not a write passes
// through untouched, with no header added.
func (c *Cache) Middleware() gin.HandlerFunc {
	// A method value: every cache's middleware shares one code pointer and
	// one name, wherever Middleware is called.
	return c.serve
}

func (c *Cache) serve(gc *gin.Context) {
	slot := slotOf(gc.Request.Method)
	switch {
	case slot == slotGET:
		rs := c.route(gc, slot)
		if rs.cached {
			c.serveGET(gc, rs)
			return
		}
	case slot != slotOther:
		c.serveWrite(gc, c.route(gc, slot))
		return
	}
	gc.Set(serviceKey{}, c.service)
	gc.Next()
}

// reqState is the per-request working memory of a cached GET, pooled: the
// key and the token names are built in its buffers and handed to the
// backend as views, so a hit allocates nothing for them.
type reqState struct {
	key     []byte
	names   nameSet
	segs    []string
	vals    [maxNames]backend.Token
	scratch scratch
	// hit is what a Peeker fills on a hit; but for its Tokens (in vals,
	// which the response does not use) it refers to the backend's memory
	// only, so the response may keep using what it points to after
	// release.
	hit backend.Entry
	// refs is 0 while the request alone uses the state, and 2 from when
	// it hands the state to a store that runs after its response
	// (storeLater: the miss's key and token names are views of the
	// state's buffers): the request and the store each call done, and the
	// last one releases it.
	refs atomic.Int32
}

var statePool = sync.Pool{New: func() any {
	return &reqState{key: make([]byte, 0, 256), segs: make([]string, 0, 8)}
}}

// done ends one user's hold on st: it goes back to the pool when no
// store after the response still holds it.
func (st *reqState) done() {
	if st.refs.Load() == 0 || st.refs.Add(-1) == 0 {
		st.release()
	}
}

func (st *reqState) release() {
	if cap(st.key) > 4096 || cap(st.scratch.decoded) > 4096 || cap(st.names.buf) > 4096 {
		return // an outsized request; let the buffers go
	}
	// Only what this request wrote holds its strings: segs and names grow
	// by append alone, so their lengths cover every write; appendQuery may
	// return before it records its pairs' length, so pairs clears to cap
	// when the query was parsed at all.
	clear(st.segs)
	st.segs = st.segs[:0]
	if st.scratch.parsed {
		clear(st.scratch.pairs[:cap(st.scratch.pairs)])
		st.scratch.parsed = false
	}
	clear(st.names.names)
	st.names.names = st.names.names[:0]
	st.hit = backend.Entry{}
	statePool.Put(st)
}

// bypass decides, before any key is built, whether the request skips the
// cache.
func (c *Cache) bypass(req *http.Request, rs *routeState) skipReason {
	if c.cfg.disabled {
		return skipDisabled
	}
	if rs.misordered {
		return skipOrder
	}
	h := req.Header
	if !c.cfg.ignoreNoCache && (len(h["Cache-Control"]) > 0 || len(h["Pragma"]) > 0) &&
		requestNoCache(h["Cache-Control"], h["Pragma"]) {
		return skipNoCache
	}
	if rs.uncoveredCredential(h) {
		return skipAuth
	}
	if !c.epochReady() {
		return skipEpoch
	}
	return skipNone
}

// skip runs the handler uncached, marking the response SKIP.
func (c *Cache) skip(gc *gin.Context, rs *routeState, reason skipReason) {
	rs.stats.skip(reason)
	h := gc.Writer.Header()
	h[HeaderXCache] = c.hdr.skip
	h[HeaderCacheStatus] = c.hdr.statusSkip[reason]
	gc.Set(serviceKey{}, c.service)
	gc.Next()
}

// budgetContext bounds a networked backend call by the cache budget
// (internal/budget: one allocation and no timer of its own, where
// context.WithTimeout costs four and a timer; it keeps parent's values
// but not its cancellation, so a lookup whose client has gone ends within
// the budget); a local backend gets parent as it is.
func (c *Cache) budgetContext(parent context.Context) context.Context {
	if c.local {
		return parent
	}
	return budget.Context(parent, c.cfg.budget)
}
