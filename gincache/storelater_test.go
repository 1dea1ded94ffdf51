package gincache_test

import (
	stdcontext "context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// heldRedis is the Redis backend with stores a test can hold: Store
// reports its key on entered (if there is room), then waits for release.
// Everything else is the real backend's (embedded by its concrete type,
// so the cache sees every optional interface it implements).
type heldRedis struct {
	*redis.Redis
	entered chan string
	release chan struct{}
	once    sync.Once
	panics  atomic.Bool // Store panics instead (a backend's bug)
	// gatePath, when set before the first request, holds the stores whose
	// key holds it until gate is closed, instead of until release.
	gatePath string
	gate     chan struct{}
}

// releaseStores lets every store go, now and from then on.
func (h *heldRedis) releaseStores() { h.once.Do(func() { close(h.release) }) }

func (h *heldRedis) Store(ctx stdcontext.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
	select {
	case h.entered <- key:
	default: // a store the test does not wait for
	}
	if h.gatePath != "" && strings.Contains(key, h.gatePath) {
		<-h.gate
	} else {
		<-h.release
	}
	if h.panics.Load() {
		panic("heldRedis: a bug in the backend")
	}
	return h.Redis.Store(ctx, key, e, ttl, tok)
}

// storeApp is a real Gin app over HTTP whose cache stores into a
// heldRedis: GET /items/:id answers the item's version, PATCH bumps it.
type storeApp struct {
	cache   *gincache.Cache
	held    *heldRedis
	url     string
	runs    atomic.Int64
	version atomic.Int64
}

func newStoreApp(t *testing.T, opts ...gincache.Option) *storeApp {
	t.Helper()
	gin.SetMode(gin.TestMode)
	srv := testutil.StartRedis(t)
	rb, err := redis.New(srv.URL(), redis.Options{KeyPrefix: "app", Logger: quietLog, DialTimeout: testutil.SocketTimeout, SocketTimeout: testutil.SocketTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rb.Close() })
	a := &storeApp{held: &heldRedis{Redis: rb, entered: make(chan string, 1), release: make(chan struct{})}}
	opts = append([]gincache.Option{gincache.WithBackend(a.held), gincache.WithLogger(quietLog), gincache.WithBudget(testutil.Budget)}, opts...)
	a.cache, err = gincache.New(gincache.Table{{Method: "GET", Path: "/items/:id", Policy: gincache.Policy{TTL: time.Hour}}}, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.cache.Close() })
	r := gin.New()
	r.Use(a.cache.Middleware())
	r.GET("/items/:id", func(c *gin.Context) {
		a.runs.Add(1)
		c.String(http.StatusOK, "v%d", a.version.Load())
	})
	r.PATCH("/items/:id", func(c *gin.Context) {
		a.version.Add(1)
		c.Status(http.StatusNoContent)
	})
	hs := httptest.NewServer(r)
	t.Cleanup(hs.Close)
	// First of the cleanups (they run last first): a test that failed
	// with a store held must not leave the server's Close waiting on it.
	t.Cleanup(a.held.releaseStores)
	a.url = hs.URL
	return a
}

type storeReply struct{ body, xcache, status string }

func (a *storeApp) send(method, path string) (storeReply, error) {
	req, err := http.NewRequest(method, a.url+path, nil)
	if err != nil {
		return storeReply{}, err
	}
	res, err := client.Do(req)
	if err != nil {
		return storeReply{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return storeReply{}, err
	}
	return storeReply{string(body), res.Header.Get(gincache.HeaderXCache), res.Header.Get(gincache.HeaderCacheStatus)}, nil
}

func (a *storeApp) get(t *testing.T, path string) storeReply {
	t.Helper()
	r, err := a.send("GET", path)
	require.NoError(t, err)
	return r
}

// sendAsync sends a request from a goroutine of its own.
func (a *storeApp) sendAsync(method, path string) <-chan storeReply {
	ch := make(chan storeReply, 1)
	go func() {
		r, err := a.send(method, path)
		if err != nil {
			r.body = err.Error()
		}
		ch <- r
	}()
	return ch
}

// within returns what ch delivers, failing t if that takes more than 10
// seconds (a cache that waits where it should not would hang the test).
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing after 10s", what)
		panic("unreachable")
	}
}

// notYet fails t if ch delivers within a short while: what it waits for
// must not have happened. It cannot fail a correct cache, only miss a
// wrong one on a slow machine.
func notYet[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s: got %v", what, v)
	case <-time.After(50 * time.Millisecond):
	}
}

const storing = "gincache; fwd=miss; detail=storing"

// missHeld sends a GET of /items/1, a miss, and checks that its response
// arrives while its store is held.
func (a *storeApp) missHeld(t *testing.T) {
	t.Helper()
	done := a.sendAsync("GET", "/items/1")
	within(t, a.held.entered, "the store")
	require.Equal(t, storeReply{"v0", "MISS", storing}, within(t, done, "the miss's response while its store is held"))
}

// On Redis a miss's response goes out before its store: the client has it
// while the store is held. A request for the key on the instance meanwhile
// is a hit on the entry being stored, instead of a miss in Redis that
// would run the handler again; once the store ends the key is a hit in
// Redis.
func TestRedisStoreAfterResponse(t *testing.T) {
	a := newStoreApp(t)
	a.missHeld(t)
	assert.Equal(t, storeReply{"v0", "HIT", ""}, a.get(t, "/items/1"), "a GET of the key while its store is held")
	a.held.releaseStores()
	require.NoError(t, a.cache.WaitStores(t.Context()))
	assert.Equal(t, storeReply{"v0", "HIT", ""}, a.get(t, "/items/1"), "once stored")
	assert.Equal(t, int64(1), a.runs.Load(), "handler runs")
	assert.Equal(t, uint64(1), a.cache.Service().Stats().Stores, "stores")
}

// A write answered between a miss's response and its store makes the
// store refuse the entry (the tokens the lookup read have changed): the
// next read gets the write's data.
func TestRedisStoreAfterResponseRacingAWrite(t *testing.T) {
	a := newStoreApp(t)
	a.missHeld(t)
	// The PATCH's invalidation is no store: it goes through while the
	// store is held.
	patch, err := a.send("PATCH", "/items/1")
	require.NoError(t, err)
	require.Equal(t, "", patch.body, "PATCH: %v", patch)
	a.held.releaseStores()
	require.NoError(t, a.cache.WaitStores(t.Context()))
	assert.Equal(t, map[string]uint64{"conflict": 1}, nonZero(a.cache.Service().Stats().NotStored), "the held store, after the write")
	got := a.get(t, "/items/1")
	assert.Equal(t, "v1", got.body, "the GET after the write: %v", got)
	assert.Equal(t, "MISS", got.xcache, "the GET after the write: %v", got)
}

func nonZero(m map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// Close waits for the stores under way.
func TestRedisCloseWaitsForStoresAfterResponses(t *testing.T) {
	a := newStoreApp(t)
	a.missHeld(t)
	closed := make(chan error, 1)
	go func() { closed <- a.cache.Close() }()
	notYet(t, closed, "Close while a store is held")
	a.held.releaseStores()
	require.NoError(t, within(t, closed, "Close after the store's release"))
	keys, _, err := a.held.Scan(t.Context(), "*", "", 10)
	require.NoError(t, err)
	assert.Len(t, keys, 1, "entries stored by the store Close waited for")
}

// A clear waits for the stores under way: an entry whose response went out
// before the clear does not land after it.
func TestRedisClearWaitsForStoresAfterResponses(t *testing.T) {
	a := newStoreApp(t)
	a.missHeld(t)
	cleared := make(chan error, 1)
	go func() {
		_, err := a.cache.Service().Clear(t.Context())
		cleared <- err
	}()
	notYet(t, cleared, "Clear while a store is held")
	a.held.releaseStores()
	require.NoError(t, within(t, cleared, "Clear after the store's release"))
	keys, _, err := a.held.Scan(t.Context(), "*", "", 10)
	require.NoError(t, err)
	assert.Empty(t, keys, "entries after the clear")
	assert.Equal(t, "MISS", a.get(t, "/items/1").xcache, "the GET after the clear")
}

// WaitStores waits for the stores under way when it is called, not for
// those that start after it: under a steady stream of misses there is
// always one under way, and a clear (which calls it) must still return.
func TestRedisWaitStoresIgnoresLaterStores(t *testing.T) {
	a := newStoreApp(t)
	a.held.gatePath, a.held.gate = "/items/2", make(chan struct{})
	t.Cleanup(func() { close(a.held.gate) }) // before releaseStores's cleanup
	a.missHeld(t)
	waited := make(chan error, 1)
	go func() { waited <- a.cache.WaitStores(stdcontext.Background()) }()
	notYet(t, waited, "WaitStores while a store is held")
	assert.Equal(t, storeReply{"v0", "MISS", storing}, a.get(t, "/items/2"), "a miss after WaitStores was called")
	within(t, a.held.entered, "the later miss's store")
	a.held.releaseStores() // the first store ends; the later one stays held
	require.NoError(t, within(t, waited, "WaitStores once the store it found has ended"))
}

// A backend's Store that panics after the response is a store error, not
// the end of the process: the goroutine it runs in recovers, releases the
// flight, and the next request fills again.
func TestRedisStoreAfterResponsePanics(t *testing.T) {
	a := newStoreApp(t)
	a.held.panics.Store(true)
	a.held.releaseStores()
	assert.Equal(t, storeReply{"v0", "MISS", storing}, a.get(t, "/items/1"))
	require.NoError(t, a.cache.WaitStores(t.Context()))
	assert.Equal(t, map[string]uint64{"store-error": 1}, nonZero(a.cache.Service().Stats().NotStored))
	a.held.panics.Store(false)
	assert.Equal(t, storeReply{"v0", "MISS", storing}, a.get(t, "/items/1"), "the GET after the panicked store")
	require.NoError(t, a.cache.WaitStores(t.Context()))
	assert.Equal(t, storeReply{"v0", "HIT", ""}, a.get(t, "/items/1"))
	assert.Equal(t, int64(2), a.runs.Load(), "handler runs")
}

// WithStoreBeforeResponse(true) stores first: the response waits for the
// store and says it was stored.
func TestRedisStoreBeforeResponse(t *testing.T) {
	a := newStoreApp(t, gincache.WithStoreBeforeResponse(true))
	done := a.sendAsync("GET", "/items/1")
	within(t, a.held.entered, "the store")
	notYet(t, done, "the response while its store is held")
	a.held.releaseStores()
	assert.Equal(t, storeReply{"v0", "MISS", "gincache; fwd=miss; stored"}, within(t, done, "the response"))
	assert.Equal(t, storeReply{"v0", "HIT", ""}, a.get(t, "/items/1"))
}

// Past the in-flight cap a store runs before the response, as with
// WithStoreBeforeResponse(true): a slow backend slows requests down rather
// than piling up stores.
func TestRedisStoreBeforeResponsePastTheInflightCap(t *testing.T) {
	a := newStoreApp(t, gincache.WithMaxInflightBytes(8<<10)) // less than a pending store's charge
	done := a.sendAsync("GET", "/items/1")
	within(t, a.held.entered, "the store")
	notYet(t, done, "the response while its store is held, past the cap")
	a.held.releaseStores()
	assert.Equal(t, storeReply{"v0", "MISS", "gincache; fwd=miss; stored"}, within(t, done, "the response"))
}

// storers counts the goroutines that run stores after the response, and
// those of them waiting idle for the next store (parked in the select of
// storer itself, not in one of the backend's).
func storers() (all, idle int) {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	for n == len(buf) {
		buf = make([]byte, 2*len(buf))
		n = runtime.Stack(buf, true)
	}
	for g := range strings.SplitSeq(string(buf[:n]), "\n\n") {
		if !strings.Contains(g, "gincache.(*Cache).storer(") {
			continue
		}
		all++
		// runtime.Stack leaves out the runtime's frames: a storer parked
		// in its own select has storer on top.
		lines := strings.Split(g, "\n")
		if strings.Contains(lines[0], "[select") && len(lines) > 1 && strings.Contains(lines[1], "gincache.(*Cache).storer(") {
			idle++
		}
	}
	return all, idle
}

// Stores after the response run on storers that wait for the next store
// rather than end (a new goroutine per store grows a new stack): misses
// one at a time, each after the storer is idle again, all run on one; more
// stores at once than the limit of idle storers (four per P, at least 16)
// leave the limit waiting; Close ends them all.
func TestRedisStorersAreReusedAndEndWithClose(t *testing.T) {
	a := newStoreApp(t)
	a.held.gatePath, a.held.gate = "/items/x", make(chan struct{})
	openGate := sync.OnceFunc(func() { close(a.held.gate) })
	t.Cleanup(openGate) // before releaseStores's cleanup
	a.held.releaseStores()
	for i := range 20 {
		assert.Equal(t, storeReply{"v0", "MISS", storing}, a.get(t, fmt.Sprintf("/items/%d", i)))
		require.NoError(t, a.cache.WaitStores(t.Context()))
		require.Eventually(t, func() bool { all, idle := storers(); return all == idle }, 10*time.Second, time.Millisecond,
			"every storer idle after store %d", i)
	}
	all, _ := storers()
	assert.Equal(t, 1, all, "storers after 20 misses one at a time")

	// Past the gate's path every store is held until the gate opens: as
	// many storers as misses.
	limit := max(16, 4*runtime.GOMAXPROCS(0))
	n := limit + 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := a.send("GET", fmt.Sprintf("/items/x%d", i))
			assert.NoError(t, err)
			assert.Equal(t, "MISS", r.xcache)
		})
	}
	wg.Wait()
	// Each response went out after its store was handed to a storer, but
	// a storer just started may not have run yet, and runtime.Stack lists
	// it under the go statement's wrapper, not storer: it is counted once
	// it runs.
	require.Eventually(t, func() bool { all, _ := storers(); return all == n }, 10*time.Second, time.Millisecond,
		"storers while %d stores are held", n)
	openGate()
	require.NoError(t, a.cache.WaitStores(t.Context()))
	assert.Eventually(t, func() bool { all, idle := storers(); return all == idle && all == limit }, 10*time.Second, time.Millisecond,
		"%d storers left, all idle, after %d stores at once", limit, n)
	assert.Equal(t, uint64(20+n), a.cache.Service().Stats().Stores, "entries stored")

	closed := make(chan error, 1)
	go func() { closed <- a.cache.Close() }()
	require.NoError(t, within(t, closed, "Close"))
	assert.Eventually(t, func() bool { all, _ := storers(); return all == 0 }, 10*time.Second, time.Millisecond, "storers after Close")
}
