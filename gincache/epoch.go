package gincache

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// epochState tracks whether this instance may serve hits. Hits stop when
// a write's invalidation did not land (within WithInvalidationWait, on a
// networked backend: some entry it should have made stale may still look
// valid) or when the backend reports that tokens may have been lost or
// rolled back (backend.Epocher: for Redis, a restart, a failover, or its
// breaker closing after an outage); they resume once the global epoch
// token has been renewed, which invalidates every entry at once.
type epochState struct {
	// failures counts invalidations that did not land; covered is the
	// count the last successful renewal covered. Hits flow while they are
	// equal.
	failures atomic.Uint64
	covered  atomic.Uint64
	// seen is the backend's Epoch() the last renewal covered.
	seen atomic.Uint64

	renewing atomic.Bool
	lastTry  atomic.Int64 // Unix ns of the last renewal attempt
	// retrying: a background goroutine keeps trying to renew.
	retrying atomic.Bool
}

// epochRetry spaces renewal attempts while the backend is failing.
const epochRetry = 100 * time.Millisecond

func (e *epochState) failed() { e.failures.Add(1) }

// retryEpoch keeps trying to renew the epoch in the background after a
// failed invalidation, so that the window in which another instance could
// serve what the failed write made stale closes as soon as the backend is
// back, whether or not GETs reach this instance. One goroutine at a time;
// Close stops it.
func (c *Cache) retryEpoch() {
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	c.retryEpochLocked()
}

// retryEpochLocked is retryEpoch with c.bgMu held.
func (c *Cache) retryEpochLocked() {
	if c.closed.Load() || !c.epoch.retrying.CompareAndSwap(false, true) {
		return
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		defer c.epoch.retrying.Store(false)
		t := time.NewTicker(epochRetry)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				if c.epochReady() {
					return
				}
			}
		}
	}()
}

// epochReady reports whether hits may be served, trying to renew the
// epoch when they may not. One request at a time tries, at most every
// epochRetry; the others bypass the cache meanwhile.
func (c *Cache) epochReady() bool {
	backendEpoch := uint64(0)
	if c.epocher != nil {
		backendEpoch = c.epocher.Epoch()
	}
	failures := c.epoch.failures.Load()
	if failures == c.epoch.covered.Load() && backendEpoch == c.epoch.seen.Load() {
		return true
	}
	now := c.cfg.now().UnixNano()
	if now-c.epoch.lastTry.Load() < int64(epochRetry) || !c.epoch.renewing.CompareAndSwap(false, true) {
		return false
	}
	defer c.epoch.renewing.Store(false)
	c.epoch.lastTry.Store(now)
	// Past an open breaker: the renewal is what lets hits resume, and it
	// may cover writes that could not invalidate.
	ctx := c.budgetContext(backend.WithoutBreaker(context.Background()))
	start := c.observeStart()
	err := c.backend.Renew(ctx, []string{c.namer.epoch}, c.tokenTTL)
	c.observe(OpEpoch, nil, start, err)
	if err != nil {
		c.log.Log(slog.LevelError, "epoch", "gincache: renewing the epoch failed; still serving no hits", "error", err)
		return false
	}
	// A failure that happened while renewing is not covered: the next
	// request renews again.
	c.epoch.covered.Store(failures)
	c.epoch.seen.Store(backendEpoch)
	return c.epoch.failures.Load() == failures
}
