package gincache

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// The Redis hit beside its floor, in the same run and on the same server:
// a handler doing one raw go-redis GET of the same 1 KiB plus c.Data (the
// DESIGN.md baseline). Ratios, median of five alternating rounds:
//
//	go test ./gincache -run '^$' -bench RedisRatio -benchtime 0.5s

// redisBench starts a redis-server and returns a cache on it and a plain
// client holding benchBody under rawKey.
func redisBench(b *testing.B) (*Cache, *goredis.Client) {
	srv := testutil.StartRealRedis(b)
	rb, err := redis.New(srv.URL(), redis.Options{KeyPrefix: "bench", Logger: slog.New(slog.DiscardHandler)})
	require.NoError(b, err)
	b.Cleanup(func() { _ = rb.Close() })
	// A budget far above the hit's round trip: on a shared machine one
	// stall past the default 50ms would turn a hit into a SKIP and fail
	// the check that a hit is measured.
	c, err := New(Table{{Method: "GET", Path: "/items/:id", Policy: Policy{TTL: time.Hour}}}, WithBackend(rb), WithBudget(time.Second), quiet)
	require.NoError(b, err)
	b.Cleanup(func() { c.Close() })
	// Connections not peeked at, as the backend's own.
	ro := &goredis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true}
	ro.Dialer = redis.UnpeekedDialer(goredis.NewDialer(ro))
	raw := goredis.NewClient(ro)
	b.Cleanup(func() { _ = raw.Close() })
	require.NoError(b, raw.MSet(context.Background(), rawKey, benchBody, "raw:t1", "0123456789abcdef", "raw:t2", "0123456789abcdef",
		"raw:t3", "0123456789abcdef", "raw:t4", "0123456789abcdef", "raw:t5", "0123456789abcdef").Err())
	return c, raw
}

const rawKey = "raw:items:42"

// rawGetEngine serves benchBody read from Redis with one GET.
func rawGetEngine(raw *goredis.Client) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/items/:id", func(c *gin.Context) {
		v, err := raw.Get(c.Request.Context(), rawKey).Bytes()
		if err != nil {
			c.AbortWithStatus(500)
			return
		}
		c.Data(200, "application/json", v)
	})
	return r
}

// rawMGetEngine serves benchBody read with one MGET of it and five other
// keys: what a hit's read costs the server and the wire, without the
// cache's work.
func rawMGetEngine(raw *goredis.Client) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	keys := []string{rawKey, "raw:t1", "raw:t2", "raw:t3", "raw:t4", "raw:t5"}
	r.GET("/items/:id", func(c *gin.Context) {
		v, err := raw.MGet(c.Request.Context(), keys...).Result()
		body, ok := v[0].(string)
		if err != nil || !ok {
			c.AbortWithStatus(500)
			return
		}
		c.Data(200, "application/json", []byte(body))
	})
	return r
}

func redisHitPair() pair {
	req := httptest.NewRequest("GET", benchTarget, nil)
	return pair{
		base: func(b *testing.B) {
			_, raw := redisBench(b)
			inProcess(b, rawGetEngine(raw), req, "")
		},
		cached: func(b *testing.B) {
			c, _ := redisBench(b)
			inProcess(b, dataEngine(c), req, "HIT")
		},
	}
}

func BenchmarkRedisHit(b *testing.B) { runPair(b, redisHitPair()) }

func BenchmarkRedisEndToEndHit(b *testing.B) {
	b.Run("base", func(b *testing.B) {
		_, raw := redisBench(b)
		endToEnd(b, rawGetEngine(raw), "", "")
	})
	b.Run("cached", func(b *testing.B) {
		c, _ := redisBench(b)
		endToEnd(b, dataEngine(c), "", "HIT")
	})
}

// BenchmarkRedisRatio reports the Redis hit's throughput over the raw
// GET handler's, in process and end to end (target >= 0.9), and over a
// raw MGET of six keys (the entry and five tokens' worth), which tells
// the cache's work from the read's. Contenders alternate, five rounds, as
// sub-benchmarks the testing package times on one redis-server, so any
// -benchtime ends in proportion; ratios are on wall time (the server's
// work is part of a Redis hit). Allocations per hit come from
// BenchmarkRedisHit.
//
//	go test ./gincache -run '^$' -bench RedisRatio -benchtime 0.5s
func BenchmarkRedisRatio(b *testing.B) {
	c, raw := redisBench(b)
	cached, base, mget := dataEngine(c), rawGetEngine(raw), rawMGetEngine(raw)
	req := httptest.NewRequest("GET", benchTarget, nil)
	inProc := func(h http.Handler, want string) func(*testing.B) {
		return func(b *testing.B) { inProcess(b, h, req, want) }
	}
	e2e := func(h http.Handler, want string) func(*testing.B) {
		return func(b *testing.B) { endToEnd(b, h, "", want) }
	}
	ratios := alternate(b, []namedPair{
		{"hit", pair{base: inProc(base, ""), cached: inProc(cached, "HIT")}, wallClock},
		{"mget", pair{base: inProc(mget, ""), cached: inProc(cached, "HIT")}, wallClock},
		{"e2e", pair{base: e2e(base, ""), cached: e2e(cached, "HIT")}, wallClock},
	})
	// A ratio of costs per op, inverted, is one of throughputs.
	b.Run("ratios", func(b *testing.B) {
		for b.Loop() {
		}
		b.ReportMetric(1/ratios["hit"], "hit-rps/rawget")
		b.ReportMetric(1/ratios["mget"], "hit-rps/rawmget6")
		b.ReportMetric(1/ratios["e2e"], "e2e-rps/rawget")
	})
}
