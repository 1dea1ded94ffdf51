package gincache

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// remoteBackend is the memory backend posing as a networked one (so the
// cache holds writes for their invalidation), whose Renew fails while
// failing is set: a backend that cannot be reached for a while.
type remoteBackend struct {
	*memory.Memory
	attempts atomic.Int64
	// guarded counts attempts not marked WithoutBreaker. It is counted
	// on its own, not as attempts minus bypassed ones: the two loads
	// would race with an attempt in flight between them.
	guarded atomic.Int64

	mu      sync.Mutex
	failing bool
	landed  [][]string // names of each Renew that succeeded
}

func (b *remoteBackend) Local() bool { return false }

func (b *remoteBackend) Renew(ctx context.Context, names []string, ttl time.Duration) error {
	if !backend.BreakerBypassed(ctx) {
		b.guarded.Add(1)
	}
	b.attempts.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failing {
		return errors.New("backend unreachable")
	}
	b.landed = append(b.landed, slices.Clone(names))
	return b.Memory.Renew(ctx, names, ttl)
}

func (b *remoteBackend) setFailing(on bool) {
	b.mu.Lock()
	b.failing = on
	b.mu.Unlock()
}

// landedName reports whether a successful Renew included name.
func (b *remoteBackend) landedName(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, names := range b.landed {
		if slices.Contains(names, name) {
			return true
		}
	}
	return false
}

// remoteApp serves GET and PUT /a with the cache on a remoteBackend.
func remoteApp(t *testing.T, opts ...Option) (*testApp, *remoteBackend) {
	t.Helper()
	clock := testutil.NewClock()
	mem, err := memory.New(memory.Options{Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { mem.Close() })
	rb := &remoteBackend{Memory: mem}
	c, err := New(Table{get("/a", time.Hour)}, append([]Option{WithBackend(rb), WithClock(clock.Now), quiet}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	a := &testApp{t: t, cache: c, engine: gin.New(), clock: clock, mem: mem}
	a.engine.Use(c.Middleware())
	a.engine.GET("/a", func(c *gin.Context) { c.String(http.StatusOK, "a") })
	a.engine.PUT("/a", func(c *gin.Context) { c.String(http.StatusOK, "written") })
	return a, rb
}

// sendAsync sends a request from another goroutine.
func (a *testApp) sendAsync(method, path string) <-chan response {
	out := make(chan response, 1)
	go func() {
		req, err := http.NewRequest(method, a.url(path), nil)
		if !assert.NoError(a.t, err) {
			close(out)
			return
		}
		res, err := testClient.Do(req)
		if !assert.NoError(a.t, err) {
			close(out)
			return
		}
		res.Body.Close()
		out <- response{status: res.StatusCode, header: res.Header}
	}()
	return out
}

// A write whose invalidation fails is not answered until a retry has
// landed its tokens: the client never holds a 2xx that another instance
// could contradict. The retries go past an open breaker, and a write
// whose tokens landed leaves the epoch alone.
func TestWriteWaitsForItsInvalidationToLand(t *testing.T) {
	a, rb := remoteApp(t, WithInvalidationWait(time.Hour))
	r := a.do("GET", "/a")
	require.Equal(t, "MISS", r.xcache(), r.String())
	require.NoError(t, a.cache.WaitStores(t.Context())) // remoteBackend is not Local: the store ran after the response
	r = a.do("GET", "/a")
	require.Equal(t, "HIT", r.xcache(), r.String())

	rb.setFailing(true)
	written := a.sendAsync("PUT", "/a")
	testutil.WaitFor(t, "the invalidation to be retried", func() bool { return rb.attempts.Load() >= 3 })
	select {
	case r := <-written:
		require.Failf(t, "the write was answered before its invalidation landed", "status %d", r.status)
	default:
	}
	assert.Zero(t, rb.guarded.Load(), "every attempt goes past the breaker")

	rb.setFailing(false)
	r = <-written
	assert.Equal(t, http.StatusOK, r.status)
	assert.True(t, rb.landedName("gincache:t:{/a}:S:/a"), "the write's own token landed")
	r = a.do("GET", "/a")
	require.Equal(t, "MISS", r.xcache(), r.String())
	require.NoError(t, a.cache.WaitStores(t.Context()))
	r = a.do("GET", "/a")
	require.Equal(t, "HIT", r.xcache(), r.String())
	st := a.cache.Service().Stats()
	assert.Equal(t, uint64(1), st.Invalidations)
	assert.True(t, a.cache.Service().Health(t.Context()).ServingHits, "a write whose tokens landed needs no epoch renewal")
	assert.False(t, rb.landedName(a.cache.namer.epoch), "the epoch was renewed for a write whose tokens landed")
}

// Past the wait the write is answered as the handler wrote it (never a
// 5xx), this instance serves no hits until the epoch is renewed, and the
// write's own tokens keep being retried until they land.
func TestWriteAnsweredAfterTheWaitKeepsRetryingItsTokens(t *testing.T) {
	a, rb := remoteApp(t, WithInvalidationWait(10*time.Millisecond), WithWriteBudget(time.Millisecond))
	r := a.do("GET", "/a")
	require.Equal(t, "MISS", r.xcache(), r.String())
	require.NoError(t, a.cache.WaitStores(t.Context()))
	rb.setFailing(true)
	r = a.do("PUT", "/a")
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "written", r.body)
	assert.False(t, a.cache.Service().Health(t.Context()).ServingHits)
	r = a.do("GET", "/a")
	require.Equal(t, "SKIP", r.xcache(), r.String())

	rb.setFailing(false)
	testutil.WaitFor(t, "the write's own token to land", func() bool { return rb.landedName("gincache:t:{/a}:S:/a") })
	a.clock.Advance(time.Second) // past the epoch retry spacing
	testutil.WaitFor(t, "the epoch to be renewed", func() bool { return a.cache.Service().Health(t.Context()).ServingHits })
	r = a.do("GET", "/a")
	require.Equal(t, "MISS", r.xcache(), r.String())
}

// Close answers a write still waiting for its invalidation and stops the
// retries.
func TestCloseReleasesWaitingWrites(t *testing.T) {
	a, rb := remoteApp(t, WithInvalidationWait(time.Hour))
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the memory backend's sweeper is the test's
	rb.setFailing(true)
	written := a.sendAsync("PUT", "/a")
	testutil.WaitFor(t, "the invalidation to be retried", func() bool { return rb.attempts.Load() >= 2 })
	require.NoError(t, a.cache.Close())
	assert.Equal(t, http.StatusOK, (<-written).status)
	a.srv.Close()
	testClient.CloseIdleConnections()
}
