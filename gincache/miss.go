package gincache

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// miss is one miss's state, from the lookup that missed to the store: the
// key and tokens the entry is stored under, the budget the lookup spent,
// the flight the request leads (if it does), the writer capturing the
// response and the header fields set outside the cache before the chain
// ran. One value, passed by pointer, instead of seven parameters.
type miss struct {
	key   string
	tok   backend.Tokens
	spent time.Duration // of the budget, by the lookup
	f     *flight       // the flight this request leads; nil when it runs alone
	fk    string        // the key of the flight for key and tok.Values
	cw    *captureWriter
	outer headerSnapshot
	// st holds the buffers key, fk and tok view, when they are the
	// request's (missIn); a store after the response takes it over.
	st *reqState
	// storing: the entry is being stored after the response (storeLater).
	storing bool
}

// missIn starts a miss's state: the flight key is appended to the key in
// st's pooled buffer, past its length, and both are views of it, which
// allocates nothing while the buffer has room. That is safe for a miss
// that ends with the request (fill) because the flight is finished, and
// so its key out of the group's map, before fill returns and st is
// released, and a backend keeps no key past its call (see
// backend.Backend). A store after the response (storeLater) finishes the
// flight later, so it holds st until then (reqState.refs). A stale
// entry's refresh, which outlives the request, takes the copy of the key
// that flightGroup.lead registers.
func missIn(st *reqState, tok backend.Tokens, spent time.Duration) *miss {
	b := appendFlightKey(st.key, tok.Values) // past len(st.key): the key's bytes stay
	fk := unsafeString(b)
	return &miss{key: fk[:len(st.key)], fk: fk, tok: tok, spent: spent, st: st}
}

// fill handles a miss: the first request for the key (and token values)
// runs the handler and stores the result; concurrent ones wait for it.
func (c *Cache) fill(gc *gin.Context, rs *routeState, m *miss) {
	f, done, leader, ready := c.flights.join(m.fk)
	if ready {
		// The leader's response has gone out and its store runs: the
		// entry is served as a hit.
		c.replay(gc, rs, f.entry, c.cfg.now())
		return
	}
	if !leader {
		select {
		case <-done:
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
		c.run(gc, rs, m)
		return
	}
	m.f = f
	c.run(gc, rs, m)
}

// replayShared serves a coalesced waiter the entry its leader stored.
func (c *Cache) replayShared(gc *gin.Context, rs *routeState, e *backend.Entry) {
	rs.stats.misses.Add(1)
	setEntryHeaders(gc.Writer.Header(), e, c.hdr.miss, c.hdr.statusCollapsed, c.cfg.now())
	c.writeEntry(gc, e)
}

// run runs the rest of the chain with the response captured, then stores
// it if it may be, and sends it. A leader publishes the stored entry to
// its flight, even if the handler panics (as nil).
func (c *Cache) run(gc *gin.Context, rs *routeState, m *miss) {
	cw := c.newCaptureWriter(gc.Writer)
	gc.Writer = cw
	m.cw = cw
	var stored *backend.Entry
	defer func() {
		gc.Writer = cw.ResponseWriter
		if m.f != nil {
			c.flights.finish(m.fk, m.f, stored)
		}
		cw.release()
	}()
	m.outer = snapshotHeader(cw.ResponseWriter.Header())
	gc.Set(serviceKey{}, c.service)
	cw.errs = len(gc.Errors)
	gc.Next()
	stored = c.finish(gc, rs, m)
}

// finish decides the fate of a captured response, stores it when it may,
// and sends it. It returns the stored entry, or nil.
func (c *Cache) finish(gc *gin.Context, rs *routeState, m *miss) *backend.Entry {
	cw := m.cw
	if cw.through {
		if !cw.hijacked {
			rs.stats.skip(cw.reason)
		}
		return nil
	}
	w := cw.ResponseWriter
	h := w.Header()
	body := cw.body()
	e, reason, stored := c.keep(gc, rs, m, h)
	if e != nil {
		body = e.Body
		h["Etag"] = e.ETagValues() // shared: len == cap
	}
	rs.stats.misses.Add(1)
	h[HeaderXCache] = c.hdr.miss
	switch {
	case stored:
		h[HeaderCacheStatus] = c.hdr.statusStored
	case m.storing:
		h[HeaderCacheStatus] = c.hdr.statusStoring
	default:
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

// keep stores a captured response (status from m.cw, headers h) when it
// may be stored, and counts the outcome. It returns the entry it built, if it
// built one (it then owns the captured body), and whether it was stored;
// when not, the reason. A store that runs after the response
// (storeLater) is not stored yet: keep returns false and sets m.storing.
func (c *Cache) keep(gc *gin.Context, rs *routeState, m *miss, h http.Header) (*backend.Entry, notStoredReason, bool) {
	cw := m.cw
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
		reason, ok = rs.storable(cw.status, h, m.outer)
	}
	if !ok {
		rs.stats.unstored(reason)
		return nil, reason, false
	}
	e := rs.newEntry(cw.status, h, cw.takeBody(), c.cfg.now(), m.outer)
	if c.storeLater(rs, m, e) {
		return e, 0, false
	}
	reason, ok = c.settle(rs, m, e)
	return e, reason, ok
}
