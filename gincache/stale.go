package gincache

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// serveStale answers with an entry past its TTL but inside its stale
// window (Policy.Stale), and has exactly one request per instance and key
// refresh it.
//
// Every request gets the stale entry at once (X-Cache: STALE), whole and
// with its Content-Length, and its chain ends there: the middleware
// outside the cache runs once, over that response. The first one also
// starts a refresh, detached from its request: the handlers after the
// cache run again on a copy of the request's context, in a goroutine of
// the cache (stale-while-revalidate). A refresh the cache may store
// replaces the entry; one that fails (an error status, nothing written,
// c.Error, a panic) or is not storable leaves the stale entry in place
// (stale-if-error), and the next request in the window tries again. Only
// valid entries get here: an invalidated one is a miss, never served
// stale.
func (c *Cache) serveStale(gc *gin.Context, rs *routeState, e *backend.Entry, m *miss, now time.Time) {
	rs.stats.hits.Add(1)
	rs.stats.stale.Add(1)
	if f, fk, lead := c.flights.lead(m.fk); lead {
		// m's keys are views of the request's buffers; the refresh
		// outlives them, and takes the group's copy.
		m.f, m.fk, m.key = f, fk, fk[:len(m.key)]
		if !c.startRefresh(gc, rs, m) {
			c.flights.finish(m.fk, f, nil)
		}
	}
	h := gc.Writer.Header()
	setEntryHeaders(h, e, c.hdr.stale, c.hdr.statusStale, now)
	if bodyAllowed(e.Status) && len(h["Content-Length"]) == 0 {
		// Entries of 2 KiB or less carry none (net/http adds it to a small
		// response that ends with the handler); a stale response says it
		// itself, so that whatever runs after the cache cannot make the
		// client wait for the end of a chunked body.
		h["Content-Length"] = []string{strconv.Itoa(len(e.Body))}
	}
	c.writeEntry(gc, e)
}

// startRefresh starts the background refresh of a stale entry, leading
// the flight m.f; false when it cannot (the cache is closing, or Gin's
// layout is unknown: see ginchain.go).
//
// The refresh runs the handlers after the cache's middleware, and only
// them, on a copy of the request's context (gin.Context.Copy: the keys
// the middleware before the cache set, the parameters) with a clone of the
// request whose context keeps its values but not its cancellation (the
// client is gone by then) and ends when the cache closes. Its response
// goes to a writer of its own that reaches no client.
func (c *Cache) startRefresh(gc *gin.Context, rs *routeState, m *miss) bool {
	chain, at, ok := chainOf(gc)
	if !ok {
		return false
	}
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.closed.Load() {
		return false
	}
	// The token names are views of the request's pooled buffers.
	own := backend.Tokens{Names: make([]string, len(m.tok.Names)), Values: append([]backend.Token(nil), m.tok.Values...)}
	for i, n := range m.tok.Names {
		own.Names[i] = strings.Clone(n)
	}
	bg := &miss{key: m.key, tok: own, spent: m.spent, f: m.f, fk: m.fk}
	ctx, cancel := context.WithCancel(context.WithoutCancel(gc.Request.Context()))
	req := gc.Request.Clone(ctx)
	req.Body = http.NoBody
	cp := gc.Copy()
	cp.Request = req
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		defer cancel()
		stop := context.AfterFunc(c.bgCtx, cancel)
		defer stop()
		c.refresh(cp, chain, at, rs, bg)
	}()
	return true
}

// refresh runs the handlers after the cache on cp and stores their
// response when it may be stored. It publishes the outcome to the flight
// whatever happens, a panic included (recovered here: nothing outside the
// cache runs around a refresh).
func (c *Cache) refresh(cp *gin.Context, chain gin.HandlersChain, at int8, rs *routeState, m *miss) {
	cw := c.newCaptureWriter(&refreshWriter{status: http.StatusOK, size: -1})
	cp.Writer = cw
	m.cw = cw
	var stored *backend.Entry
	defer func() {
		if p := recover(); p != nil {
			rs.stats.unstored(notStoredPanic)
			c.log.Log(slog.LevelError, "refresh-panic", "gincache: the refresh of a stale entry panicked; the stale entry stays", "panic", p, "route", rs.path)
		}
		c.flights.finish(m.fk, m.f, stored)
		cw.release()
	}()
	cp.Set(serviceKey{}, c.service)
	cw.errs = len(cp.Errors)
	resume(cp, chain, at)
	if cw.through {
		return // streamed, hijacked or too large: nothing to store
	}
	e, _, ok := c.keep(cp, rs, m, cw.Header())
	if ok {
		stored = e
	}
}

// refreshWriter is where a refresh's response goes: a header map of its
// own and nowhere for the body, since the client has had its answer.
type refreshWriter struct {
	header http.Header
	status int
	size   int
}

var _ gin.ResponseWriter = (*refreshWriter)(nil)

func (w *refreshWriter) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

func (w *refreshWriter) WriteHeader(code int) {
	if code > 0 && w.size == -1 {
		w.status = code
	}
}

func (w *refreshWriter) WriteHeaderNow() {
	if w.size == -1 {
		w.size = 0
	}
}

func (w *refreshWriter) Write(p []byte) (int, error) {
	w.WriteHeaderNow()
	w.size += len(p)
	return len(p), nil
}

func (w *refreshWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }
func (w *refreshWriter) Status() int                       { return w.status }
func (w *refreshWriter) Size() int                         { return w.size }
func (w *refreshWriter) Written() bool                     { return w.size != -1 }
func (w *refreshWriter) Flush()                            {}
func (w *refreshWriter) Pusher() http.Pusher               { return nil }

// CloseNotify never fires: no client waits on a refresh.
func (w *refreshWriter) CloseNotify() <-chan bool { return nil }

func (w *refreshWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("gincache: a stale entry's refresh has no connection to hijack")
}
