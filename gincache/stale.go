package gincache

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// serveStale answers with an entry past its TTL but inside its stale
// window (Policy.Stale), and has exactly one request per instance and key
// refresh it.
//
// Every request gets the stale entry at once (X-Cache: STALE). The first
// one, once its stale response is flushed to the client, goes on to run
// the handler with its output captured (stale-while-revalidate): a
// storable response replaces the entry; a 5xx, a panic or anything not
// storable leaves the stale entry in place (stale-if-error), and the next
// request in the window tries again. Running the refresh in the request's
// own goroutine, after its response is complete, keeps everything the
// earlier middleware set (auth, the vary values) and needs no copy of the
// engine. Only valid entries get here: an invalidated one is a miss,
// never served stale.
func (c *Cache) serveStale(gc *gin.Context, rs *routeState, e *backend.Entry, key string, tok backend.Tokens, spent time.Duration, now time.Time) {
	fk := flightKey(key, tok.Values)
	f, refresh := c.flights.lead(fk)
	rs.stats.hits.Add(1)
	rs.stats.stale.Add(1)
	w := gc.Writer
	setEntryHeaders(w.Header(), e, c.hdr.stale, c.hdr.statusStale, now)
	if !refresh {
		c.writeEntry(gc, e)
		return
	}
	c.sendEntry(gc, e)
	w.Flush() // the client has its whole response before the refresh starts

	// The handler runs after the response is complete: a client that
	// hangs up now must not cancel it.
	req := gc.Request
	gc.Request = req.WithContext(context.WithoutCancel(req.Context()))
	cw := c.newCaptureWriter(w)
	cw.detached = true
	gc.Writer = cw
	var stored *backend.Entry
	defer func() {
		gc.Writer = w
		gc.Request = req
		c.flights.finish(fk, f, stored)
		cw.release()
	}()
	gc.Next()
	stored = c.refreshed(gc, rs, cw, key, tok, spent)
}

// refreshed stores a refresh's response when it may be stored. The
// client has had its answer already; nothing is written to it.
func (c *Cache) refreshed(gc *gin.Context, rs *routeState, cw *captureWriter, key string, tok backend.Tokens, spent time.Duration) *backend.Entry {
	if cw.through {
		return nil
	}
	e, _, stored := c.keep(gc, rs, cw, cw.Header(), key, tok, spent, nil)
	if !stored {
		return nil
	}
	return e
}
