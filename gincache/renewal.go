package gincache

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// renewals holds the token names of writes whose invalidation did not
// land at the first attempt, and retries them in the background, all
// together in one Renew, until they land. A write waits for the attempt
// that covers its names, up to WithInvalidationWait; past that it is
// answered, and its names stay until they land: the write's own tokens,
// not only the epoch, so that the other instances stop serving what it
// made stale as soon as this one reaches the backend again.
type renewals struct {
	names   map[string]struct{}
	waiters []chan error // each told once the names it added have landed
	running bool
}

// Bounds of the retries.
const (
	// renewRetry spaces the starts of two attempts: an attempt that fails
	// at once (connection refused) is not repeated in a busy loop.
	renewRetry = 20 * time.Millisecond
	// maxPendingNames bounds the names kept for retries (a long outage
	// under writes to many distinct paths). Past it they are dropped, and
	// the global epoch, which covers every one of them, is renewed instead.
	maxPendingNames = 100_000
)

var (
	errRenewalsDropped = errors.New("gincache: too many invalidations pending; the epoch will be renewed instead")
	errClosed          = errors.New("gincache: closed")
)

// renewOnce makes one attempt at renewing names: within the write budget
// on a networked backend, detached from the request's cancellation (a
// client hanging up cannot stop it), and past an open circuit breaker (a
// write must not skip its invalidation because earlier calls failed).
func (c *Cache) renewOnce(parent context.Context, names []string) error {
	ctx := backend.WithoutBreaker(context.WithoutCancel(parent))
	if !c.local {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.writeBudget)
		defer cancel()
	}
	return c.backend.Renew(ctx, names, c.tokenTTL)
}

// awaitRenewal hands names to the background retries and waits until
// they have landed (nil), the deadline has passed, or the cache closes.
func (c *Cache) awaitRenewal(names []string, deadline time.Time) error {
	done := c.pendRenewal(names)
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return context.DeadlineExceeded
	case <-c.stop:
		return errClosed
	}
}

// pendRenewal adds names to the pending set, starts the retries if they
// are not running, and returns the channel told when they have landed.
func (c *Cache) pendRenewal(names []string) <-chan error {
	done := make(chan error, 1)
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.closed.Load() {
		done <- errClosed
		return done
	}
	r := &c.renewals
	if r.names == nil {
		r.names = make(map[string]struct{})
	}
	for _, n := range names {
		r.names[strings.Clone(n)] = struct{}{} // names are views of a request's buffer
	}
	r.waiters = append(r.waiters, done)
	if len(r.names) > maxPendingNames {
		c.dropRenewalsLocked()
		return done
	}
	if !r.running {
		r.running = true
		c.bg.Add(1)
		go c.retryRenewals()
	}
	return done
}

// dropRenewalsLocked gives up on the pending names, releases their writes
// and makes this instance renew the epoch instead. c.bgMu is held.
func (c *Cache) dropRenewalsLocked() {
	r := &c.renewals
	for _, w := range r.waiters {
		w <- errRenewalsDropped
	}
	r.names, r.waiters = nil, nil
	c.epoch.failed()
	c.log.Log(slog.LevelError, "renewals-dropped", errRenewalsDropped.Error())
	c.retryEpochLocked()
}

// retryRenewals renews the pending names until none is left or the cache
// closes: one attempt at a time, with every name pending when it starts.
func (c *Cache) retryRenewals() {
	defer c.bg.Done()
	r := &c.renewals
	for {
		c.bgMu.Lock()
		if len(r.names) == 0 || c.closed.Load() {
			r.running = false
			c.bgMu.Unlock()
			return
		}
		names := make([]string, 0, len(r.names))
		for n := range r.names {
			names = append(names, n)
		}
		waiters := r.waiters
		r.names, r.waiters = make(map[string]struct{}), nil
		c.bgMu.Unlock()

		start := time.Now()
		err := c.renewOnce(context.Background(), names)
		if err == nil {
			for _, w := range waiters {
				w <- nil
			}
			continue
		}
		c.log.Log(slog.LevelError, "renew-retry", "gincache: retrying invalidations that have not landed", "error", err, "tokens", len(names))
		c.bgMu.Lock()
		for _, n := range names {
			r.names[n] = struct{}{}
		}
		r.waiters = append(waiters, r.waiters...)
		if len(r.names) > maxPendingNames {
			c.dropRenewalsLocked()
		}
		c.bgMu.Unlock()
		wait := time.NewTimer(renewRetry - time.Since(start))
		select {
		case <-c.stop:
			wait.Stop()
		case <-wait.C:
		}
	}
}
