package bench

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/chenyahui/gin-cache/persist"
	redisv8 "github.com/go-redis/redis/v8"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// BenchmarkFootprint stores 10,000 and 100,000 responses of 1 KiB at
// distinct paths (/items/1 .. /items/N, DESIGN.md's worst case for
// tokens: each path has tokens of its own) through each contender's
// middleware, and reports what they hold: the process's live heap after
// a GC (heap-MiB, and heap-x-payload against the bodies' bytes), and on
// Redis the growth of used_memory (redis-MiB, redis-x-payload). Each
// iteration starts from an empty cache (and a fresh redis-server); ns/op
// is the time to fill it.
func BenchmarkFootprint(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		for _, name := range []string{"gincache-memory", "chenyahui-memory", "gincache-redis", "chenyahui-redis"} {
			b.Run(fmt.Sprintf("impl=%s/entries=%d", name, n), func(b *testing.B) { footprint(b, name, n) })
		}
	}
}

// footprintTarget is an empty contender; held counts its entries.
type footprintTarget struct {
	h    http.Handler
	app  *app
	held func() int
	// settle waits for the stores under way after their responses; nil
	// for the peers.
	settle func(context.Context) error
	redis  *goredis.Client
	close  func()
}

func newFootprintTarget(b *testing.B, name string) *footprintTarget {
	a := newApp(sizes[0])
	t := &footprintTarget{app: a}
	var addr string
	if name == "gincache-redis" || name == "chenyahui-redis" {
		srv := ownRedis(b)
		if srv == nil {
			b.Skip(noRedis)
		}
		addr = srv.Addr()
		t.redis = goredis.NewClient(&goredis.Options{Addr: addr})
		t.held = func() int { return countKeys(b, t.redis, "*:e:*") }
	}
	switch name {
	case "gincache-memory", "gincache-redis":
		var be backend.Backend
		if t.redis == nil {
			// Room for every response: the default 64 MiB would evict.
			mem, err := memory.New(memory.Options{MaxBytes: 1 << 30})
			require.NoError(b, err)
			be, t.held = mem, mem.Len
		} else {
			rb, err := redis.New("redis://"+addr+"/0", redis.Options{KeyPrefix: "fp", Logger: quiet, SocketTimeout: benchTimeout})
			require.NoError(b, err)
			be = rb
		}
		c, err := gincache.New(table, gincache.WithBackend(be), gincache.WithLogger(quiet), gincache.WithBudget(benchTimeout))
		require.NoError(b, err)
		t.h = engine(c.Middleware(), a.data)
		t.settle = c.WaitStores
		t.close = func() { c.Close(); _ = be.Close() }
	case "chenyahui-memory":
		s := persist.NewMemoryStore(time.Hour)
		t.h = engine(peerMiddleware(s, hit, ""), a.data)
		t.held = s.Cache.Count
		t.close = func() { _ = s.Cache.Close() }
	case "chenyahui-redis":
		c8 := redisv8.NewClient(&redisv8.Options{Addr: addr})
		t.h = engine(peerMiddleware(persist.NewRedisStore(c8), hit, "cy:e:"), a.data)
		t.close = func() { _ = c8.Close() }
	default:
		b.Fatalf("unknown contender %q", name)
	}
	if t.redis != nil {
		closeBackend := t.close
		t.close = func() { closeBackend(); _ = t.redis.Close() }
	}
	return t
}

func footprint(b *testing.B, name string, n int) {
	paths := make([]string, n)
	for i := range paths {
		paths[i] = "/items/" + strconv.Itoa(i+1)
	}
	payload := float64(n * sizes[0].n)
	var heap, used float64
	for b.Loop() {
		b.StopTimer()
		t := newFootprintTarget(b, name)
		heapBefore := liveHeap()
		var redisBefore redisStats
		if t.redis != nil {
			redisBefore = readRedisStats(b, t.redis)
		}
		b.StartTimer()
		fill(b, t.h, t.settle, paths, sizes[0].n)
		b.StopTimer()
		heap = float64(liveHeap()) - float64(heapBefore)
		if t.redis != nil {
			used = float64(readRedisStats(b, t.redis).mem - redisBefore.mem)
		}
		got := t.held()
		require.Equal(b, n, got, "responses held")
		runs := t.app.runs.Load()
		fill(b, t.h, t.settle, paths[:1], sizes[0].n)
		fill(b, t.h, t.settle, paths[n-1:], sizes[0].n)
		d := t.app.runs.Load() - runs
		require.Equal(b, int64(0), d, "stored responses (of 2) that ran the handler again")
		runtime.KeepAlive(t)
		t.close()
		b.StartTimer()
	}
	b.ReportMetric(heap/(1<<20), "heap-MiB")
	b.ReportMetric(heap/payload, "heap-x-payload")
	if used != 0 {
		b.ReportMetric(used/(1<<20), "redis-MiB")
		b.ReportMetric(used/payload, "redis-x-payload")
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// countKeys counts the keys matching pattern with SCAN.
func countKeys(b *testing.B, c *goredis.Client, pattern string) int {
	n := 0
	iter := c.Scan(context.Background(), 0, pattern, 1000).Iterator()
	for iter.Next(context.Background()) {
		n++
	}
	require.NoError(b, iter.Err())
	return n
}
