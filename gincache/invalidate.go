package gincache

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Invalidate returns a write-only middleware: it invalidates on successful
// POST, PUT, PATCH and DELETE requests exactly as Middleware does, and
// passes everything else through untouched. It is safe to mount globally
// (r.Use) to cover write routes outside the groups that carry Middleware;
// a write that passes both is invalidated once.
func (c *Cache) Invalidate() gin.HandlerFunc {
	return func(gc *gin.Context) {
		if slot := slotOf(gc.Request.Method); slot != slotGET && slot != slotOther {
			c.serveWrite(gc, c.route(gc, slot))
			return
		}
		gc.Next()
	}
}

// serveWrite runs a write with its response writer hooked, so that the
// invalidation happens when the status is committed: before the first
// byte can reach the client, and only for 2xx and 3xx.
func (c *Cache) serveWrite(gc *gin.Context, rs *routeState) {
	gc.Set(serviceKey{}, c.service)
	for w := gc.Writer; ; {
		hk, ok := w.(*writeHook)
		if !ok {
			break
		}
		if hk.c == c {
			gc.Next() // already hooked by this cache further out
			return
		}
		w = hk.ResponseWriter
	}
	hk := &writeHook{ResponseWriter: gc.Writer, c: c, gc: gc, rs: rs}
	gc.Writer = hk
	defer func() { gc.Writer = hk.ResponseWriter }()
	gc.Next()
	hk.commit()
}

// invalidateWrite renews the tokens a successful write makes stale: its
// place in the hierarchy (unless the policy says NoInvalidate) and the
// policy's explicit targets. It runs with its own deadline and without
// the request's cancellation, so a client hanging up cannot stop it.
//
// On a networked backend, the response waits until the renewal has
// landed: an attempt that fails is retried in the background, past an
// open circuit breaker, and the write waits for it up to
// WithInvalidationWait. Only then is the response let out, so that once
// a client holds the 2xx no instance sharing the backend serves what the
// write made stale. If the wait runs out (or the backend is local and the
// one attempt failed), the response goes out anyway and this instance
// serves no hits until the epoch is renewed; the retries go on.
func (c *Cache) invalidateWrite(gc *gin.Context, rs *routeState) {
	if rs.policy.NoInvalidate && len(rs.targets) == 0 {
		return
	}
	var ns nameSet
	var segs []string
	if !rs.policy.NoInvalidate {
		segs, _ = segments(make([]string, 0, 8), gc.Request.URL.Path)
		ns.writeNames(&c.namer, gc.Request.Method, segs)
	}
	for _, t := range rs.targets {
		segs, _ = segments(segs[:0], t.resolve(gc.Params))
		ns.targetNames(&c.namer, segs, t.subtree)
	}
	start := c.observeStart()
	deadline := time.Now().Add(c.cfg.invalidWait)
	names := ns.finish()
	err := c.renewOnce(gc.Request.Context(), names)
	if err != nil {
		rs.stats.backendErrors.Add(1)
		if !c.local {
			c.log.Log(slog.LevelWarn, "invalidate-retry", "gincache: invalidation failed; holding the write's response while it is retried", "error", err,
				"method", gc.Request.Method, "path", gc.Request.URL.Path)
			err = c.awaitRenewal(names, deadline)
		}
	}
	c.observe(OpInvalidate, rs, start, err)
	if err != nil {
		c.epoch.failed()
		c.retryEpoch()
		c.log.Log(slog.LevelError, "invalidate", "gincache: invalidation did not land; answering the write, serving no hits until the epoch is renewed", "error", err,
			"method", gc.Request.Method, "path", gc.Request.URL.Path)
		return
	}
	rs.stats.invalidations.Add(1)
}

// renew makes one attempt at renewing tokens (renewOnce). On failure it
// marks the epoch dirty: this instance serves no hits until it has
// renewed the epoch.
func (c *Cache) renew(parent context.Context, names []string) error {
	err := c.renewOnce(parent, names)
	if err != nil {
		c.epoch.failed()
		c.retryEpoch()
	}
	return err
}

// writeNamesFor lists what a write of method to path renews, for the
// service and the admin API.
func (c *Cache) writeNamesFor(method, path string) []string {
	var ns nameSet
	segs, _ := segments(nil, path)
	if method != http.MethodPost {
		method = http.MethodPut
	}
	ns.writeNames(&c.namer, method, segs)
	return ns.finish()
}
