package redis_test

// Benchmarks against a real redis-server from testutil (skipped without
// one). Figures and commands are in the report; run them alone:
//
//	go test -run '^$' -bench 'Redis' -benchmem ./backend/

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// redisBenchEntry is a 1 KiB JSON response as the cache stores it.
func redisBenchEntry() *backend.Entry {
	body := []byte(`{"data":"` + strings.Repeat("x", 1024-11) + `"}`)
	return &backend.Entry{
		Status: 200,
		Header: []backend.HeaderField{
			{Name: "Content-Type", Values: []string{"application/json; charset=utf-8"}},
			{Name: "Content-Length", Values: []string{strconv.Itoa(len(body))}},
			{Name: "Etag", Values: []string{`"5d41402abc4b2a76b9719d911017c592"`}},
		},
		Body:     body,
		ETag:     `"5d41402abc4b2a76b9719d911017c592"`,
		StoredAt: time.Now(),
		Expires:  time.Now().Add(time.Hour),
	}
}

func benchBackend(b *testing.B, srv *testutil.Redis, opts redis.Options) *redis.Redis {
	b.Helper()
	opts.Logger = quiet
	r, err := redis.New(srv.URL(), opts)
	require.NoError(b, err)
	b.Cleanup(func() { _ = r.Close() })
	return r
}

func benchFill(b *testing.B, r backend.Backend, key string, names []string) {
	b.Helper()
	ctx := context.Background()
	vals := make([]backend.Token, len(names))
	_, _ = r.Lookup(ctx, key, backend.Tokens{Names: names, Values: vals})
	require.NoError(b, r.Store(ctx, key, redisBenchEntry(), time.Hour, backend.Tokens{Names: names, Values: vals}))
}

// benchHits stores /items/1 and times hits on it.
func benchHits(b *testing.B, r backend.Backend) {
	names := treeNames(1)
	benchFill(b, r, treeKey(1), names)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	vals := make([]backend.Token, len(names))
	b.ReportAllocs()
	for b.Loop() {
		e, err := r.Lookup(ctx, treeKey(1), backend.Tokens{Names: names, Values: vals})
		// Checked by hand in the timed loop: testify boxes its arguments,
		// an allocation per op the benchmark would report.
		if err != nil || len(e.Body) != 1024 {
			b.Fatal(e, err)
		}
	}
}

// BenchmarkRedisLookupHit is a cache hit: the entry and five tokens in one
// MGET, decoded and checked. BenchmarkRedisRawGet is the floor: one
// go-redis GET of the same bytes.
func BenchmarkRedisLookupHit(b *testing.B) {
	srv := testutil.StartRealRedis(b)
	r := benchBackend(b, srv, redis.Options{KeyPrefix: "bench"})
	benchHits(b, r)
}

// BenchmarkRedisClusterLookupHit is a hit on the 3-master cluster: GET of
// the entry and one MGET per hash tag ({/} and {/items}), pipelined.
func BenchmarkRedisClusterLookupHit(b *testing.B) {
	c := testutil.StartCluster(b, 3)
	prefix := strings.TrimSuffix(testutil.Prefix(b), ":")
	r, err := redis.NewCluster(c.Addrs(), redis.Options{KeyPrefix: prefix, Logger: quiet})
	require.NoError(b, err)
	b.Cleanup(func() { _ = r.Close(); c.Flush(b, prefix+":") })
	benchHits(b, r)
}

// rawSetup stores the hit's entry and tokens through the backend and
// returns a plain client, for the raw baselines.
func rawSetup(b *testing.B) (context.Context, *goredis.Client) {
	srv := testutil.StartRealRedis(b)
	r := benchBackend(b, srv, redis.Options{KeyPrefix: "bench"})
	benchFill(b, r, treeKey(1), treeNames(1))
	// Connections not peeked at, as the backend's own (dial.go).
	o := &goredis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true}
	o.Dialer = redis.UnpeekedDialer(goredis.NewDialer(o))
	c := goredis.NewClient(o)
	b.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	b.Cleanup(cancel)
	return ctx, c
}

func BenchmarkRedisRawGet(b *testing.B) {
	ctx, c := rawSetup(b)
	key := "bench:e:" + treeKey(1)
	b.ReportAllocs()
	for b.Loop() {
		v, err := c.Get(ctx, key).Bytes()
		// Checked by hand in the timed loop: testify boxes its arguments,
		// an allocation per op the benchmark would report.
		if err != nil || len(v) < 1024 {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedisRawMGet6 reads the same six keys as a hit with one raw
// MGET: the floor for a check of five tokens.
func BenchmarkRedisRawMGet6(b *testing.B) {
	ctx, c := rawSetup(b)
	keys := []string{"bench:e:" + treeKey(1)}
	for _, n := range treeNames(1) {
		keys = append(keys, "bench:t:"+n)
	}
	b.ReportAllocs()
	for b.Loop() {
		v, err := c.MGet(ctx, keys...).Result()
		// Checked by hand in the timed loop: testify boxes its arguments,
		// an allocation per op the benchmark would report.
		if err != nil || v[0] == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedisRenew is the invalidation of a PUT on /items/7/parts/3:
// S of the path and E of its three ancestors, four SETs in one pipeline,
// with 1,000 entries cached under /items and 1K to 1M other keys.
func BenchmarkRedisRenew(b *testing.B) {
	for _, others := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", others), func(b *testing.B) {
			srv := testutil.StartRealRedis(b)
			r := benchBackend(b, srv, redis.Options{KeyPrefix: "bench"})
			testutil.FillKeyspace(b, srv.Client(), "unrelated:", others)
			for i := range 1000 {
				benchFill(b, r, treeKey(i), treeNames(i))
			}
			names := []string{
				"gincache:t:{/items}:S:/items/7/parts/3",
				"gincache:t:{/items}:E:/items/7/parts",
				"gincache:t:{/items}:E:/items/7",
				"gincache:t:{/items}:E:/items",
				"gincache:t:{/}:E:/",
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			b.ReportAllocs()
			for b.Loop() {
				require.NoError(b, r.Renew(ctx, names, time.Hour))
			}
			b.ReportMetric(float64(srv.Client().DBSize(ctx).Val()), "keys")
		})
	}
}

func usedMemory(b *testing.B, c *goredis.Client) int64 {
	b.Helper()
	info, err := c.Info(context.Background(), "memory").Result()
	require.NoError(b, err)
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO memory")
	return 0
}

// BenchmarkRedisMemory10k stores 10,000 responses of 1 KiB at /items/1 ..
// /items/10000 (two tokens of their own each, the worst case) and reports
// Redis's used_memory growth.
func BenchmarkRedisMemory10k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		srv := testutil.StartRealRedis(b)
		r := benchBackend(b, srv, redis.Options{KeyPrefix: "app"})
		before := usedMemory(b, srv.Client())
		b.StartTimer()
		for i := 1; i <= 10_000; i++ {
			benchFill(b, r, treeKey(i), treeNames(i))
		}
		b.StopTimer()
		after := usedMemory(b, srv.Client())
		b.ReportMetric(float64(after-before)/(1<<20), "MiB")
		b.ReportMetric(float64(srv.Client().DBSize(context.Background()).Val()), "keys")
		b.StartTimer()
	}
}

// The cost of a call while Redis fails, breaker closed (threshold out of
// reach) and open: refused connections, and a hung server (SIGSTOP) with
// the cache's 50ms budget.
func BenchmarkRedisFault(b *testing.B) {
	run := func(b *testing.B, r *redis.Redis) {
		names := treeNames(1)
		vals := make([]backend.Token, len(names))
		b.ReportAllocs()
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			_, err := r.Lookup(ctx, treeKey(1), backend.Tokens{Names: names, Values: vals})
			require.Error(b, err, "Lookup succeeded on a failing Redis")
			cancel()
		}
	}
	for _, fault := range []string{"refused", "hung"} {
		for _, open := range []bool{false, true} {
			name := fault + "/breaker=closed"
			if open {
				name = fault + "/breaker=open"
			}
			b.Run(name, func(b *testing.B) {
				srv := testutil.StartRealRedis(b)
				opts := redis.Options{BreakerThreshold: 1 << 30, BreakerCooldown: time.Hour}
				if open {
					opts.BreakerThreshold = 1
				}
				r := benchBackend(b, srv, opts)
				benchFill(b, r, treeKey(1), treeNames(1))
				if fault == "refused" {
					srv.Kill()
				} else {
					srv.Pause()
					b.Cleanup(srv.Resume)
				}
				run(b, r)
				got := r.BreakerState()
				require.Equal(b, open, got == backend.BreakerOpen, "breaker %s", got)
			})
		}
	}
}

// BenchmarkRedisMiss is a miss and its fill at a new path each time: the
// Lookup (one MGET) and the Store (one script call), with the server's
// CPU time per miss beside the client's.
func BenchmarkRedisMiss(b *testing.B) {
	srv := testutil.StartRealRedis(b)
	r := benchBackend(b, srv, redis.Options{KeyPrefix: "bench"})
	benchFill(b, r, treeKey(0), treeNames(0)) // the shared tokens exist, as in a warm cache
	ctx := context.Background()
	e := redisBenchEntry()
	cpu := func() float64 {
		info := srv.Client().Info(ctx, "cpu").Val()
		var total float64
		for line := range strings.SplitSeq(info, "\r\n") {
			if name, v, ok := strings.Cut(line, ":"); ok && (name == "used_cpu_user" || name == "used_cpu_sys") {
				f, _ := strconv.ParseFloat(v, 64)
				total += f
			}
		}
		return total
	}
	b.ReportAllocs()
	start, i := cpu(), 0
	for b.Loop() {
		i++
		names := treeNames(i)
		tok := backend.Tokens{Names: names, Values: make([]backend.Token, len(names))}
		_, err := r.Lookup(ctx, treeKey(i), tok)
		require.Error(b, err, "hit on a new path")
		entry := *e
		require.NoError(b, r.Store(ctx, treeKey(i), &entry, time.Hour, tok))
	}
	b.ReportMetric((cpu()-start)*1e9/float64(b.N), "redis-cpu-ns/op")
}

// BenchmarkRedisFillServerTime is a miss's fill (Lookup, then Store) of a
// new path under /items, as in the report's Redis miss: two tokens of its
// own to create, three shared ones present (the epoch, / and /items). It
// reports the server's time in the store script (script-us/op, EVALSHA's
// usec from INFO commandstats, its own calls included) and all its CPU
// time (server-cpu-us/op, used_cpu_user + used_cpu_sys, the network
// included). With tokens=known the backend remembers how long the
// shared tokens live and leaves them be; tokens=unknown forgets before
// every store, so each extends all three, as every store did before
// lives.go.
func BenchmarkRedisFillServerTime(b *testing.B) {
	for _, known := range []bool{true, false} {
		b.Run(fmt.Sprintf("tokens=%s", map[bool]string{true: "known", false: "unknown"}[known]), func(b *testing.B) {
			srv := testutil.StartRealRedis(b)
			r := benchBackend(b, srv, redis.Options{KeyPrefix: "bench"})
			benchFill(b, r, treeKey(0), treeNames(0)) // loads the script, creates the shared tokens
			raw := srv.Client()
			before := serverTimes(b, raw)
			i := 0
			for b.Loop() {
				i++
				if !known {
					r.ForgetTokenLives()
				}
				benchFill(b, r, treeKey(i), treeNames(i))
			}
			after := serverTimes(b, raw)
			n := float64(b.N)
			b.ReportMetric(float64(after.script-before.script)/n, "script-us/op")
			b.ReportMetric(float64(after.cpu-before.cpu)/n, "server-cpu-us/op")
		})
	}
}

// serverTimesInfo is a server's time in EVALSHA and its CPU time, in µs.
type serverTimesInfo struct{ script, cpu int64 }

// serverTimes reads them from INFO.
func serverTimes(b *testing.B, c *goredis.Client) serverTimesInfo {
	b.Helper()
	info, err := c.Info(context.Background(), "cpu", "commandstats").Result()
	require.NoError(b, err, "INFO")
	var s serverTimesInfo
	for line := range strings.SplitSeq(info, "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		switch {
		case !ok:
		case name == "used_cpu_user" || name == "used_cpu_sys":
			f, err := strconv.ParseFloat(value, 64)
			require.NoError(b, err, "%s", line)
			s.cpu += int64(f * 1e6)
		case name == "cmdstat_evalsha":
			for field := range strings.SplitSeq(value, ",") {
				if v, ok := strings.CutPrefix(field, "usec="); ok {
					s.script, err = strconv.ParseInt(v, 10, 64)
					require.NoError(b, err, "%s", line)
				}
			}
		}
	}
	return s
}
