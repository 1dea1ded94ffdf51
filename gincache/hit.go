package gincache

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// The hit path: look the key up with its tokens and replay a valid entry.
// A fresh entry is a hit here; a stale one goes to stale.go; anything else
// is a miss (miss.go).

// serveGET serves a cached route: a hit from the backend, a miss through
// the handler (coalesced, stored when cacheable), or a bypass.
func (c *Cache) serveGET(gc *gin.Context, rs *routeState) {
	req := gc.Request
	if reason := c.bypass(req, rs); reason != skipNone {
		c.skip(gc, rs, reason)
		return
	}
	st := statePool.Get().(*reqState)
	defer st.done()

	// The depth is all a hit needs of the path; its segments are split
	// only for a miss's token names.
	depth, ok := pathDepth(req.URL.Path)
	if !ok {
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
		// The token values a Peeker reads may go to the request's array:
		// a miss overwrites them.
		e := &st.hit
		e.Tokens = st.vals[:0]
		if c.peek.Peek(key, readCount(depth), now, e) {
			switch {
			case now.Before(e.Expires):
				c.observe(OpLookup, rs, start, nil)
				if c.near {
					rs.stats.nearHits.Add(1)
				}
				st.remember(rs, req.URL.RawQuery, true)
				c.replay(gc, rs, e, now)
				return
			case e.Stale > 0 && now.Before(e.Expires.Add(e.Stale)):
				// Valid but past its freshness: served stale from what
				// Peek filled, as below from what Lookup returns, without
				// reading the entry again. Its token values (in st.vals
				// or the backend's entry) are the current ones, which
				// the refresh records.
				c.observe(OpLookup, rs, start, nil)
				tok := st.readTokens(&c.namer, req.URL.Path)
				copy(tok.Values, e.Tokens)
				c.serveStale(gc, rs, e, missIn(st, tok, 0), now)
				return
			}
		}
	}
	tok := st.readTokens(&c.namer, req.URL.Path)

	ctx := c.budgetContext(req.Context())
	var started time.Time
	if !c.local || c.cfg.observer != nil {
		started = time.Now()
	}
	e, err := c.backend.Lookup(ctx, key, tok)
	c.observe(OpLookup, rs, started, notFoundIsNil(err))
	var spent time.Duration
	if !c.local {
		spent = time.Since(started)
	}
	switch {
	case err == nil:
		now := c.cfg.now()
		if now.Before(e.Expires) {
			st.remember(rs, req.URL.RawQuery, true)
			c.replay(gc, rs, e, now)
			return
		}
		// Past its freshness but still valid: its tokens are the current
		// ones, which a refill records.
		copy(tok.Values, e.Tokens)
		if e.Stale > 0 && now.Before(e.Expires.Add(e.Stale)) {
			c.serveStale(gc, rs, e, missIn(st, tok, spent), now)
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
	st.remember(rs, req.URL.RawQuery, false)
	c.fill(gc, rs, missIn(st, tok, spent))
}

// readTokens lists the tokens a GET of path reads, in st's buffers: the
// names, and st.vals for their values.
func (st *reqState) readTokens(t *tokenNamer, path string) backend.Tokens {
	st.segs, _ = segments(st.segs[:0], path)
	st.names.reset()
	st.names.readNames(t, st.segs)
	names := st.names.finish()
	return backend.Tokens{Names: names, Values: st.vals[:len(names)]}
}

// remember puts the canonical query appendQuery computed into the
// route's memo: for a request that hit, or (hit false) into a free slot
// only, for one that missed.
func (st *reqState) remember(rs *routeState, raw string, hit bool) {
	if st.scratch.memo {
		rs.qmemo.put(raw, st.key[st.scratch.qStart:st.scratch.qEnd], hit)
	}
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
	if v := e.ETagValues(); v != nil {
		h["Etag"] = v
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

// notFoundIsNil keeps a miss, which is not a failure, out of what
// observers count as errors.
func notFoundIsNil(err error) error {
	if errors.Is(err, backend.ErrNotFound) {
		return nil
	}
	return err
}
