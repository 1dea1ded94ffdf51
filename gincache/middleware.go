package gincache

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
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
}

var statePool = sync.Pool{New: func() any {
	return &reqState{key: make([]byte, 0, 256), segs: make([]string, 0, 8)}
}}

func (st *reqState) release() {
	if cap(st.key) > 4096 || cap(st.scratch.decoded) > 4096 || cap(st.names.buf) > 4096 {
		return // an outsized request; let the buffers go
	}
	clear(st.segs[:cap(st.segs)])
	clear(st.scratch.pairs[:cap(st.scratch.pairs)])
	clear(st.names.names[:cap(st.names.names)])
	statePool.Put(st)
}

// serveGET serves a cached route: a hit from the backend, a miss through
// the handler (coalesced, stored when cacheable), or a bypass.
func (c *Cache) serveGET(gc *gin.Context, rs *routeState) {
	req := gc.Request
	if reason := c.bypass(req, rs); reason != skipNone {
		c.skip(gc, rs, reason)
		return
	}
	st := statePool.Get().(*reqState)
	defer st.release()

	var ok bool
	if st.segs, ok = segments(st.segs[:0], req.URL.Path); !ok {
		c.skip(gc, rs, skipDepth)
		return
	}
	var reason skipReason
	if st.key, reason = c.appendKey(st.key[:0], rs, gc, &st.scratch); reason != skipNone {
		c.skip(gc, rs, reason)
		return
	}
	key := unsafeString(st.key)
	if c.peek != nil {
		start := c.observeStart()
		now := c.cfg.now()
		if e, ok := c.peek.Peek(key, readCount(len(st.segs)), now); ok && now.Before(e.Expires) {
			c.observe(OpLookup, rs, start, nil)
			if c.near {
				rs.stats.nearHits.Add(1)
			}
			c.replay(gc, rs, e, now)
			return
		}
	}
	st.names.reset()
	st.names.readNames(&c.namer, st.segs)
	names := st.names.finish()
	tok := backend.Tokens{Names: names, Values: st.vals[:len(names)]}

	ctx, cancel := c.budgetContext(req.Context())
	var started time.Time
	if !c.local || c.cfg.observer != nil {
		started = time.Now()
	}
	e, err := c.backend.Lookup(ctx, key, tok)
	cancel()
	c.observe(OpLookup, rs, started, notFoundIsNil(err))
	var spent time.Duration
	if !c.local {
		spent = time.Since(started)
	}
	switch {
	case err == nil:
		now := c.cfg.now()
		if now.Before(e.Expires) {
			c.replay(gc, rs, e, now)
			return
		}
		// Past its freshness but still valid: its tokens are the current
		// ones, which a refill records.
		copy(tok.Values, e.Tokens)
		if e.Stale > 0 && now.Before(e.Expires.Add(e.Stale)) {
			c.serveStale(gc, rs, e, string(st.key), tok, spent, now)
			return
		}
	case errors.Is(err, backend.ErrNotFound):
	case errors.Is(err, backend.ErrCorrupt):
		// An entry that does not decode is never served; the backend
		// has filled in the tokens, so it is a miss whose store replaces
		// it. Treating it as a failure would keep the key uncached
		// until the damaged entry's TTL ends.
		c.log.Log(slog.LevelWarn, "corrupt", "gincache: a stored entry does not decode; refilling it", "error", err, "route", rs.path)
	default:
		rs.stats.backendErrors.Add(1)
		c.log.Log(slog.LevelError, "lookup", "gincache: backend lookup failed; serving uncached", "error", err, "route", rs.path)
		c.skip(gc, rs, skipBackendErr)
		return
	}
	c.fill(gc, rs, string(st.key), tok, spent)
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

// budgetContext bounds a networked backend call by the cache budget; a
// local backend gets the request's context as it is.
func (c *Cache) budgetContext(parent context.Context) (context.Context, context.CancelFunc) {
	if c.local {
		return parent, func() {}
	}
	return context.WithTimeout(parent, c.cfg.budget)
}

// replay writes a stored response: its headers (shared slices, nothing
// copied), X-Cache and Age, and either the body or a 304 when
// If-None-Match matches its ETag. A hit carries no Cache-Status: X-Cache
// says HIT, and each header a hit sets costs about a tenth of the hit's
// own work (measured with BenchmarkHit); Cache-Status is sent when the
// cache did not serve the response itself, to say why.
func (c *Cache) replay(gc *gin.Context, rs *routeState, e *backend.Entry, now time.Time) {
	rs.stats.hits.Add(1)
	setEntryHeaders(gc.Writer.Header(), e, c.hdr.hit, nil, now)
	c.writeEntry(gc, e)
}

// setEntryHeaders assigns the entry's header fields (shared slices,
// nothing copied), X-Cache, Cache-Status when status is set, and Age.
func setEntryHeaders(h http.Header, e *backend.Entry, xcache, status []string, now time.Time) {
	for _, f := range e.Header {
		h[f.Name] = f.Values
	}
	h[HeaderXCache] = xcache
	if status != nil {
		h[HeaderCacheStatus] = status
	}
	h["Age"] = ageValue(int64(now.Sub(e.StoredAt) / time.Second))
}

// writeEntry sends the entry's status and body, or 304 Not Modified, and
// ends the chain.
func (c *Cache) writeEntry(gc *gin.Context, e *backend.Entry) {
	c.sendEntry(gc, e)
	gc.Abort()
}

// sendEntry sends the entry's status and body, or 304 Not Modified.
func (c *Cache) sendEntry(gc *gin.Context, e *backend.Entry) {
	w := gc.Writer
	if inm := gc.Request.Header["If-None-Match"]; len(inm) > 0 && etagMatches(inm, e.ETag) {
		h := w.Header()
		delete(h, "Content-Length")
		delete(h, "Content-Type")
		w.WriteHeader(http.StatusNotModified)
		w.WriteHeaderNow()
		return
	}
	w.WriteHeader(e.Status)
	if len(e.Body) > 0 {
		// A write error is the client gone; nothing to do about it here.
		_, _ = w.Write(e.Body)
	} else {
		w.WriteHeaderNow()
	}
}

// replayShared serves a coalesced waiter the entry its leader stored.
func (c *Cache) replayShared(gc *gin.Context, rs *routeState, e *backend.Entry) {
	rs.stats.misses.Add(1)
	setEntryHeaders(gc.Writer.Header(), e, c.hdr.miss, c.hdr.statusCollapsed, c.cfg.now())
	c.writeEntry(gc, e)
}

// fill handles a miss: the first request for the key (and token values)
// runs the handler and stores the result; concurrent ones wait for it.
func (c *Cache) fill(gc *gin.Context, rs *routeState, key string, tok backend.Tokens, spent time.Duration) {
	fk := flightKey(key, tok.Values)
	f, leader := c.flights.join(fk)
	if !leader {
		select {
		case <-f.done:
		case <-gc.Request.Context().Done():
			gc.Abort() // the client has gone
			return
		}
		if f.entry != nil {
			c.replayShared(gc, rs, f.entry)
			return
		}
		// The leader's response was not stored: run the handler for this
		// request alone.
		c.run(gc, rs, key, tok, spent, nil, "")
		return
	}
	c.run(gc, rs, key, tok, spent, f, fk)
}

// run runs the rest of the chain with the response captured, then stores
// it if it may be, and sends it. A leader publishes the stored entry to
// its flight, even if the handler panics (as nil).
func (c *Cache) run(gc *gin.Context, rs *routeState, key string, tok backend.Tokens, spent time.Duration, f *flight, fk string) {
	cw := c.newCaptureWriter(gc.Writer)
	gc.Writer = cw
	var stored *backend.Entry
	defer func() {
		gc.Writer = cw.ResponseWriter
		if f != nil {
			c.flights.finish(fk, f, stored)
		}
		cw.release()
	}()
	outer := snapshotHeader(cw.ResponseWriter.Header())
	gc.Set(serviceKey{}, c.service)
	cw.errs = len(gc.Errors)
	gc.Next()
	stored = c.finish(gc, rs, cw, key, tok, spent, outer)
}

// finish decides the fate of a captured response, stores it when it may,
// and sends it. It returns the stored entry, or nil.
func (c *Cache) finish(gc *gin.Context, rs *routeState, cw *captureWriter, key string, tok backend.Tokens, spent time.Duration, outer headerSnapshot) *backend.Entry {
	if cw.through {
		if !cw.hijacked {
			rs.stats.skip(cw.reason)
		}
		return nil
	}
	w := cw.ResponseWriter
	h := w.Header()
	body := cw.body()
	e, reason, stored := c.keep(gc, rs, cw, h, key, tok, spent, outer)
	if e != nil {
		body = e.Body
		h.Set("Etag", e.ETag)
	}
	rs.stats.misses.Add(1)
	h[HeaderXCache] = c.hdr.miss
	if stored {
		h[HeaderCacheStatus] = c.hdr.statusStored
	} else {
		h[HeaderCacheStatus] = c.hdr.statusNotStored[reason]
	}
	if cw.written() {
		w.WriteHeader(cw.status)
	}
	if len(body) > 0 {
		_, _ = w.Write(body)
	} else if cw.size >= 0 {
		w.WriteHeaderNow()
	}
	if !stored {
		return nil
	}
	return e
}

// keep stores a captured response (status from cw, headers h) when it may
// be stored, and counts the outcome. It returns the entry it built, if it
// built one (it then owns the captured body), and whether it was stored;
// when not, the reason.
func (c *Cache) keep(gc *gin.Context, rs *routeState, cw *captureWriter, h http.Header, key string, tok backend.Tokens, spent time.Duration, outer headerSnapshot) (*backend.Entry, notStoredReason, bool) {
	var reason notStoredReason
	ok := false
	switch {
	case len(gc.Errors) > cw.errs:
		// The chain reported a failure (c.Error): an error middleware
		// outside the cache turns it into the real response after the
		// chain returns, whatever was written here.
		reason = notStoredErrors
	case !cw.written():
		// Nothing written: Gin sends an empty 200 after the chain, or an
		// outer middleware writes what the handler left undone. Neither
		// is the handler's response.
		reason = notStoredUnwritten
	case gc.IsAborted() && cw.size == -1:
		// Aborted with only a status chosen: Gin sends it empty.
		reason = notStoredAborted
	default:
		reason, ok = rs.storable(cw.status, h, outer)
	}
	if !ok {
		rs.stats.unstored(reason)
		return nil, reason, false
	}
	e := rs.newEntry(cw.status, h, cw.takeBody(), c.cfg.now(), outer)
	switch err := c.store(key, e, rs, tok, spent); {
	case err == nil:
		rs.stats.stores.Add(1)
		return e, 0, true
	case errors.Is(err, backend.ErrConflict):
		reason = notStoredConflict
	default:
		reason = notStoredError
		rs.stats.backendErrors.Add(1)
		c.log.Log(slog.LevelError, "store", "gincache: backend store failed", "error", err, "route", rs.path)
	}
	rs.stats.unstored(reason)
	return e, reason, false
}

// store saves the entry within what is left of the request's budget. It
// runs even if the client has gone: waiters may depend on it.
func (c *Cache) store(key string, e *backend.Entry, rs *routeState, tok backend.Tokens, spent time.Duration) (err error) {
	defer func(start time.Time) { c.observe(OpStore, rs, start, conflictIsNil(err)) }(c.observeStart())
	ttl := rs.ttl + rs.stale
	if c.local {
		return c.backend.Store(context.Background(), key, e, ttl, tok)
	}
	left := c.cfg.budget - spent
	if left <= 0 {
		return context.DeadlineExceeded
	}
	ctx, cancel := context.WithTimeout(context.Background(), left)
	defer cancel()
	return c.backend.Store(ctx, key, e, ttl, tok)
}

// notFoundIsNil and conflictIsNil keep the outcomes that are not failures
// out of what observers count as errors.
func notFoundIsNil(err error) error {
	if errors.Is(err, backend.ErrNotFound) {
		return nil
	}
	return err
}

func conflictIsNil(err error) error {
	if errors.Is(err, backend.ErrConflict) {
		return nil
	}
	return err
}
