package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	gincachepeer "github.com/chenyahui/gin-cache"
	"github.com/chenyahui/gin-cache/persist"
	"github.com/gin-gonic/gin"
	redisv8 "github.com/go-redis/redis/v8"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// What a write costs to invalidate, against the size of the keyspace (the
// entries and keys held besides those the write makes stale) and the
// fan-out (how many cached responses live under the written path).
//
// gincache renews the generation tokens of the written path (a PUT on
// /g/N/x: S(/g/N/x) and the E of its ancestors), whatever the fan-out:
// the timed operation is Service.InvalidateWrite, what a write's hook
// runs. chenyahui/gin-cache has no invalidation of its own: its store's
// Delete removes one key, so a write must delete every URL it made stale,
// and know them all; the timed operation deletes the fan-out's keys one
// by one, and they are stored again off the clock before each iteration.

var (
	keyspaces = []int{1_000, 100_000, 1_000_000}
	fanouts   = []int{1, 100, 10_000}
)

// invTarget is one contender holding a keyspace, ready for invalidations.
type invTarget struct {
	h    http.Handler
	app  *app
	ours bool // gincache: responses carry X-Cache
	// settle waits for the stores under way after their responses; nil
	// for the peer.
	settle func(context.Context) error
	// invalidate is the timed operation: make the fan-out under
	// /g/<fan>/x stale.
	invalidate func(ctx context.Context, fan int) error
	// restore stores the fan-out's entries again, off the clock; nil
	// when invalidating does not remove them.
	restore func(ctx context.Context, fan int) error
	count   func(ctx context.Context) int64 // keys held
	close   func()
}

type invalidator struct {
	name  string
	redis bool
	// setup builds the contender and loads keys other entries (on Redis,
	// the server already holds keys other keys).
	setup func(b *testing.B, keys int, addr string) *invTarget
}

func fanPath(fan, i int) string { return "/g/" + strconv.Itoa(fan) + "/x/p" + strconv.Itoa(i) }

var fanTable = gincache.Table{{Method: "GET", Path: "/g/:fan/x/:p", Policy: gincache.Policy{TTL: time.Hour}}}

func fanEngine(mw gin.HandlerFunc, a *app) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if mw != nil {
		r.Use(mw)
	}
	r.GET("/g/:fan/x/:p", a.data)
	return r
}

// oursTarget is gincache on be; closing the target closes be too.
func oursTarget(b *testing.B, be backend.Backend, count func(context.Context) int64, closeBackend func()) (*invTarget, *gincache.Service) {
	c, err := gincache.New(fanTable, gincache.WithBackend(be), gincache.WithLogger(quiet), gincache.WithBudget(benchTimeout))
	require.NoError(b, err)
	a := newApp(sizes[0])
	svc := c.Service()
	return &invTarget{
		h: fanEngine(c.Middleware(), a), app: a, ours: true, settle: c.WaitStores,
		invalidate: func(ctx context.Context, fan int) error {
			return svc.InvalidateWrite(ctx, http.MethodPut, "/g/"+strconv.Itoa(fan)+"/x")
		},
		count: count,
		close: func() { c.Close(); closeBackend() },
	}, svc
}

// peerTarget is chenyahui/gin-cache on store.
func peerTarget(store persist.CacheStore, count func(context.Context) int64, closeStore func()) *invTarget {
	a := newApp(sizes[0])
	t := &invTarget{h: fanEngine(gincachepeer.CacheByRequestURI(store, time.Hour), a), app: a, count: count, close: closeStore}
	var stored *gincachepeer.ResponseCache // one entry as its middleware stored it
	t.invalidate = func(_ context.Context, fan int) error {
		for i := range fan {
			if err := store.Delete(fanPath(fan, i)); err != nil {
				return err
			}
		}
		return nil
	}
	t.restore = func(_ context.Context, fan int) error {
		if stored == nil {
			if err := store.Get(fanPath(fan, 0), &stored); err != nil {
				return fmt.Errorf("reading a stored entry: %w", err)
			}
		}
		for i := range fan {
			if err := store.Set(fanPath(fan, i), stored, time.Hour); err != nil {
				return err
			}
		}
		return nil
	}
	return t
}

var smallEntry = []byte(`{"v":1}`)

var invalidators = []invalidator{
	{name: "gincache-memory", setup: func(b *testing.B, keys int, _ string) *invTarget {
		mem, err := memory.New(memory.Options{MaxBytes: 8 << 30})
		require.NoError(b, err)
		t, svc := oursTarget(b, mem, func(context.Context) int64 { return int64(mem.Len()) }, func() { _ = mem.Close() })
		ctx := context.Background()
		for i := range keys {
			require.NoError(b, svc.Set(ctx, "fill:"+strconv.Itoa(i), smallEntry, time.Hour))
		}
		return t
	}},
	{name: "gincache-redis", redis: true, setup: func(b *testing.B, _ int, addr string) *invTarget {
		rb, err := redis.New("redis://"+addr+"/0", redis.Options{KeyPrefix: "gc", Logger: quiet, SocketTimeout: benchTimeout})
		require.NoError(b, err)
		c := goredis.NewClient(&goredis.Options{Addr: addr})
		t, _ := oursTarget(b, rb, dbSize(c), func() { _ = rb.Close(); _ = c.Close() })
		return t
	}},
	{name: "chenyahui-memory", setup: func(b *testing.B, keys int, _ string) *invTarget {
		s := persist.NewMemoryStore(time.Hour)
		filler := &gincachepeer.ResponseCache{Status: http.StatusOK, Data: smallEntry}
		for i := range keys {
			require.NoError(b, s.Set("fill:"+strconv.Itoa(i), filler, time.Hour))
		}
		return peerTarget(s, func(context.Context) int64 { return int64(s.Cache.Count()) }, func() { _ = s.Cache.Close() })
	}},
	{name: "chenyahui-redis", redis: true, setup: func(b *testing.B, _ int, addr string) *invTarget {
		c8 := redisv8.NewClient(&redisv8.Options{Addr: addr})
		c := goredis.NewClient(&goredis.Options{Addr: addr})
		return peerTarget(persist.NewRedisStore(c8), dbSize(c), func() { _ = c8.Close(); _ = c.Close() })
	}},
}

func dbSize(c *goredis.Client) func(context.Context) int64 {
	return func(ctx context.Context) int64 { return c.DBSize(ctx).Val() }
}

func BenchmarkInvalidate(b *testing.B) {
	for _, keys := range keyspaces {
		// A server per keyspace, stopped as soon as it is done with: a
		// million keys take memory that the next keyspace should not share.
		var addr string
		srv := ownRedis(b)
		if srv != nil {
			addr = srv.Addr()
			c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
			testutil.FillKeyspace(b, c, "fill:", keys)
			_ = c.Close()
		}
		for _, inv := range invalidators {
			if inv.redis && addr == "" {
				b.Run(fmt.Sprintf("impl=%s/keys=%d", inv.name, keys), skipped(noRedis))
				continue
			}
			t := inv.setup(b, keys, addr)
			for _, fan := range fanouts {
				prepareFan(b, t, fan)
				b.Run(fmt.Sprintf("impl=%s/keys=%d/fanout=%d", inv.name, keys, fan), func(b *testing.B) { invalidateRun(b, t, fan) })
			}
			t.close()
		}
		if srv != nil {
			srv.Close()
		}
	}
}

// prepareFan stores the fan-out's responses through the contender's
// middleware and checks that they are served from the cache.
func prepareFan(b *testing.B, t *invTarget, fan int) {
	paths := make([]string, fan)
	for i := range paths {
		paths[i] = fanPath(fan, i)
	}
	fill(b, t.h, t.settle, paths, len(t.app.body))
	runs := t.app.runs.Load()
	for _, p := range ends(fan) {
		t.get(b, fanPath(fan, p), "HIT")
	}
	n := t.app.runs.Load() - runs
	require.Equal(b, int64(0), n, "fan-out %d: responses not served from the cache after the fill", fan)
}

// ends are the first and last index of a fan-out, the responses checked.
func ends(fan int) []int {
	if fan == 1 {
		return []int{0}
	}
	return []int{0, fan - 1}
}

func (t *invTarget) get(b *testing.B, path, xcache string) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	require.Equal(b, http.StatusOK, w.Code, "GET %s: status", path)
	if t.ours {
		require.Equal(b, xcache, w.Header().Get("X-Cache"), "GET %s: X-Cache", path)
	}
}

func invalidateRun(b *testing.B, t *invTarget, fan int) {
	ctx := context.Background()
	for b.Loop() {
		if t.restore != nil {
			b.StopTimer()
			require.NoError(b, t.restore(ctx, fan))
			b.StartTimer()
		}
		require.NoError(b, t.invalidate(ctx, fan))
	}
	b.ReportMetric(float64(t.count(ctx)), "keys")
	// The first and last responses under the path are stale now: the
	// handler runs for each.
	runs := t.app.runs.Load()
	for _, p := range ends(fan) {
		t.get(b, fanPath(fan, p), "MISS")
	}
	n := t.app.runs.Load() - runs
	require.Equal(b, int64(len(ends(fan))), n, "stale responses that ran the handler after the invalidation")
}

// fill GETs every path through h, checking each response: the first
// alone, the others from four goroutines. The first creates the tokens
// of the ancestors the paths share; were they created by concurrent
// fills, gincache would abandon the stores that lost the race (by design:
// a fill that overlapped a token's creation is never stored).
func fill(tb testing.TB, h http.Handler, settle func(context.Context) error, paths []string, n int) {
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	get := func(path string) bool {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK || rec.Body.Len() != n {
			errs <- fmt.Errorf("GET %s: status %d, %d bytes", path, rec.Code, rec.Body.Len())
			return false
		}
		return true
	}
	if !get(paths[0]) {
		require.NoError(tb, <-errs)
	}
	// The first store creates the tokens every path shares; a lookup
	// before it ends would find them missing, and its store would refuse
	// the entry.
	settleStores(tb, settle)
	for w := range 4 {
		wg.Go(func() {
			for i := 1 + w; i < len(paths); i += 4 {
				if !get(paths[i]) {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	require.NoError(tb, <-errs)
	settleStores(tb, settle)
}

// settleStores waits for the stores under way after their responses, if
// settle is set.
func settleStores(tb testing.TB, settle func(context.Context) error) {
	if settle != nil {
		require.NoError(tb, settle(context.Background()))
	}
}
