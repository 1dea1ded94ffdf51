package bench

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	gincachepeer "github.com/chenyahui/gin-cache"
	"github.com/chenyahui/gin-cache/persist"
	"github.com/gin-gonic/gin"
	redisv8 "github.com/go-redis/redis/v8"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// mode is what a request does to the cache.
type mode int

const (
	hit    mode = iota // served from the cache, the handler does not run
	miss               // a new URL each time: lookup, handler, capture, store
	bypass             // Cache-Control: no-cache: the handler runs, nothing is stored
)

func (m mode) String() string { return [...]string{"hit", "miss", "bypass"}[m] }

// xcache is the X-Cache value gincache sends in the mode.
func (m mode) xcache() string { return [...]string{"HIT", "MISS", "SKIP"}[m] }

// handlerRuns is how many times the handler must run for n requests.
func (m mode) handlerRuns(n int) int64 {
	if m == hit {
		return 0
	}
	return int64(n)
}

// target is the URL of hits and bypasses; misses go through /items/0,
// /items/1, ... with the same query.
const target = "/items/42?page=1&limit=10"

func missTarget(i int) string { return "/items/" + strconv.Itoa(i) + "?page=1&limit=10" }

// app is the application behind every contender: handlers that count
// their runs, so that a benchmark can check a hit did not run one.
type app struct {
	runs atomic.Int64
	doc  *document
	body []byte
}

func newApp(sz size) *app {
	d := newDocument(sz.n)
	return &app{doc: d, body: d.body()}
}

// data writes the prebuilt body: the cheapest possible handler.
func (a *app) data(c *gin.Context) {
	a.runs.Add(1)
	c.Data(http.StatusOK, "application/json", a.body)
}

// encode does a real handler's work: it encodes the document.
func (a *app) encode(c *gin.Context) {
	a.runs.Add(1)
	out, err := json.Marshal(a.doc)
	if err != nil {
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Data(http.StatusOK, "application/json", out)
}

// handlerFor is the handler a mode's benchmarks put behind the cache: the
// encoding one for misses (whose cost is the handler's plus the cache's),
// the cheapest one otherwise (a hit never runs it; a bypass runs it and
// its overhead shows against the bare limit).
func (a *app) handlerFor(m mode) gin.HandlerFunc {
	if m == miss {
		return a.encode
	}
	return a.data
}

// fixture is one contender ready for one mode and size.
type fixture struct {
	h   http.Handler
	app *app
	// clear drops every stored response (between cycles of misses); nil
	// when nothing is stored.
	clear func(ctx context.Context) error
	// settle waits for the stores still under way after their responses
	// (gincache on Redis stores after responding); nil when none can be.
	settle func(ctx context.Context) error
	// xcache is the X-Cache value every response must carry; "" for
	// contenders that send none.
	xcache string
	// redis is the server the contender uses, for its metrics; nil on
	// memory.
	redis *goredis.Client
	// baseline: no cache, the handler runs for every request.
	baseline bool
	// nearHits, on near-cache contenders, counts the hits the near cache
	// answered (near_test.go).
	nearHits func() uint64
}

func engine(mw gin.HandlerFunc, h gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if mw != nil {
		r.Use(mw)
	}
	r.GET("/items/:id", h)
	return r
}

var quiet = slog.New(slog.DiscardHandler)

// table is gincache's policy for the benchmark route.
var table = gincache.Table{{Method: "GET", Path: "/items/:id", Policy: gincache.Policy{TTL: time.Hour}}}

// benchTimeout is the budget and socket timeout of gincache on Redis in
// the benchmarks: go-redis's default read timeout, which the peer and the
// raw GET baseline run with, rather than gincache's 50ms budget and 200ms
// socket timeout. On a shared machine a stall past those would turn a
// measured hit or miss into a SKIP and fail the check that it was
// measured; the cost of a request does not depend on them.
const benchTimeout = 3 * time.Second

// newGincache builds the cache on be (nil: the default memory backend),
// closed at b's cleanup.
func newGincache(b *testing.B, tab gincache.Table, be backend.Backend) *gincache.Cache {
	opts := []gincache.Option{gincache.WithLogger(quiet), gincache.WithStoreBeforeResponse(*storeFirst)}
	if be != nil {
		opts = append(opts, gincache.WithBackend(be), gincache.WithBudget(benchTimeout))
	}
	c, err := gincache.New(tab, opts...)
	require.NoError(b, err, "gincache.New")
	b.Cleanup(func() { c.Close() })
	return c
}

// benchCheckInterval is how often the benchmarks' Redis backends read the
// server's run_id (CheckInterval, 5 s by default): past any run, so that
// those background INFOs, a round trip each, are not counted as the
// round trips of the misses measured meanwhile. The server's statistics
// count every client's writes: with the default, the backends of a run's
// fixtures read INFO about once a second between them, and a 300 ms round
// of 200 misses of 256 KiB read 2.005 round trips a miss.
const benchCheckInterval = 24 * time.Hour

func newRedisBackend(b *testing.B, url, prefix string) *redis.Redis {
	rb, err := redis.New(url, redis.Options{KeyPrefix: prefix, Logger: quiet, SocketTimeout: benchTimeout, CheckInterval: benchCheckInterval})
	require.NoError(b, err, "redis.New(%s)", url)
	b.Cleanup(func() { _ = rb.Close() })
	return rb
}

func newClient(b *testing.B, addr string) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// newUnpeekedClient is a go-redis client whose connections go-redis does
// not check before each command (a recvfrom system call), as the clients
// backend/redis builds: the raw GET the Redis hit is measured against
// makes the same system calls as the hit's MGET.
func newUnpeekedClient(b *testing.B, addr string) *goredis.Client {
	o := &goredis.Options{Addr: addr}
	o.Dialer = redis.UnpeekedDialer(goredis.NewDialer(o))
	c := goredis.NewClient(o)
	b.Cleanup(func() { _ = c.Close() })
	return c
}

func newClientV8(b *testing.B, addr string) *redisv8.Client {
	c := redisv8.NewClient(&redisv8.Options{Addr: addr})
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// peerMiddleware is chenyahui/gin-cache as its README shows it, keyed by
// the request URI. It has no bypass of its own; for the bypass mode it
// gets the strategy a user would write: no caching when the request says
// Cache-Control: no-cache.
func peerMiddleware(store persist.CacheStore, m mode, prefix string) gin.HandlerFunc {
	opts := []gincachepeer.Option{gincachepeer.WithPrefixKey(prefix)}
	if m == bypass {
		opts = append(opts, gincachepeer.WithCacheStrategyByRequest(func(c *gin.Context) (bool, gincachepeer.Strategy) {
			if c.GetHeader("Cache-Control") == "no-cache" {
				return false, gincachepeer.Strategy{}
			}
			return true, gincachepeer.Strategy{CacheKey: c.Request.RequestURI}
		}))
		return gincachepeer.Cache(store, time.Hour, opts...)
	}
	return gincachepeer.CacheByRequestURI(store, time.Hour, opts...)
}

func newPeerMemoryStore(b *testing.B) *persist.MemoryStore {
	s := persist.NewMemoryStore(time.Hour)
	b.Cleanup(func() { _ = s.Cache.Close() })
	return s
}

// contender builds its fixture for a mode and size; srv is the shared
// redis-server's address ("" on memory contenders).
type contender struct {
	name  string
	redis bool
	build func(b *testing.B, m mode, sz size, addr string) *fixture
}

var (
	bare = contender{name: "bare", build: func(b *testing.B, m mode, sz size, _ string) *fixture {
		a := newApp(sz)
		return &fixture{h: engine(nil, a.handlerFor(m)), app: a, baseline: true}
	}}
	uncached = contender{name: "uncached", build: bare.build}

	redisGet = contender{name: "redis-get", redis: true, build: func(b *testing.B, m mode, sz size, addr string) *fixture {
		a := newApp(sz)
		c := newUnpeekedClient(b, addr)
		warmPools(b, newClient(b, addr), c)
		key := "raw:" + sz.name
		require.NoError(b, c.Set(context.Background(), key, a.body, 0).Err(), "SET %s", key)
		h := func(gc *gin.Context) {
			a.runs.Add(1)
			v, err := c.Get(gc.Request.Context(), key).Bytes()
			if err != nil {
				gc.AbortWithStatus(http.StatusInternalServerError)
				return
			}
			gc.Data(http.StatusOK, "application/json", v)
		}
		return &fixture{h: engine(nil, h), app: a, redis: c, baseline: true}
	}}

	gincacheMemory = contender{name: "gincache-memory", build: func(b *testing.B, m mode, sz size, _ string) *fixture {
		a := newApp(sz)
		c := newGincache(b, table, nil)
		return gincacheFixture(c, a, m, nil)
	}}

	gincacheRedis = contender{name: "gincache-redis", redis: true, build: func(b *testing.B, m mode, sz size, addr string) *fixture {
		a := newApp(sz)
		rb := newRedisBackend(b, "redis://"+addr+"/0", "gc-"+m.String()+"-"+sz.name)
		meter := newClient(b, addr)
		warmPools(b, meter, rb.Client())
		c := newGincache(b, table, rb)
		return gincacheFixture(c, a, m, meter)
	}}

	chenyahuiMemory = contender{name: "chenyahui-memory", build: func(b *testing.B, m mode, sz size, _ string) *fixture {
		a := newApp(sz)
		s := newPeerMemoryStore(b)
		clear := func(context.Context) error { s.Cache.Purge(); return nil }
		return &fixture{h: engine(peerMiddleware(s, m, ""), a.handlerFor(m)), app: a, clear: clear}
	}}

	chenyahuiRedis = contender{name: "chenyahui-redis", redis: true, build: func(b *testing.B, m mode, sz size, addr string) *fixture {
		a := newApp(sz)
		v8 := newClientV8(b, addr)
		c := newClient(b, addr)
		warmPoolV8(b, c, v8)
		s := persist.NewRedisStore(v8)
		prefix := "cy-" + m.String() + "-" + sz.name + ":"
		clear := func(ctx context.Context) error { return unlinkPrefix(ctx, c, prefix) }
		return &fixture{h: engine(peerMiddleware(s, m, prefix), a.handlerFor(m)), app: a, clear: clear, redis: c}
	}}
)

// gincacheFixture is a gincache contender's fixture: c in front of a's
// handler for m; redis is the server c uses, nil on memory.
func gincacheFixture(c *gincache.Cache, a *app, m mode, redis *goredis.Client) *fixture {
	return &fixture{h: engine(c.Middleware(), a.handlerFor(m)), app: a, xcache: m.xcache(), clear: clearService(c), settle: c.WaitStores, redis: redis}
}

// clearService clears c (once the stores under way have ended, which
// Clear waits for).
func clearService(c *gincache.Cache) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.Service().Clear(ctx)
		return err
	}
}

// unlinkPrefix deletes the keys under prefix (the shared server holds
// other fixtures' keys, so no FLUSHDB).
func unlinkPrefix(ctx context.Context, c *goredis.Client, prefix string) error {
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return c.Unlink(ctx, batch...).Err()
	}
	return nil
}

// contendersFor lists who competes in a mode: the baseline first.
func contendersFor(m mode) []contender {
	switch m {
	case hit:
		return []contender{bare, gincacheMemory, chenyahuiMemory, redisGet, gincacheRedis, chenyahuiRedis}
	case miss:
		return []contender{uncached, gincacheMemory, chenyahuiMemory, gincacheRedis, chenyahuiRedis}
	default:
		return []contender{bare, gincacheMemory, chenyahuiMemory, gincacheRedis, chenyahuiRedis}
	}
}

// fixtures builds every contender of the mode for a size, once for all
// the rounds (setups are not timed); a Redis contender without a server
// gets a body that skips.
func fixtures(b *testing.B, m mode, sz size, cs []contender, run func(b *testing.B, f *fixture)) []namedRun {
	var out []namedRun
	for _, c := range cs {
		addr := ""
		if c.redis {
			srv := sharedRedis(b)
			if srv == nil {
				out = append(out, namedRun{c.name, skipped(noRedis)})
				continue
			}
			addr = srv.Addr()
		}
		f := c.build(b, m, sz, addr)
		out = append(out, namedRun{c.name, func(b *testing.B) { run(b, f) }})
	}
	return out
}

// serve runs one request in process and checks the response: status 200,
// the payload's length, and X-Cache when want is set.
func (f *fixture) serve(tb testing.TB, req *http.Request, n int, want string) {
	tb.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	require.Equal(tb, http.StatusOK, w.Code, "%s %s: status", req.Method, req.URL)
	require.Equal(tb, n, w.Body.Len(), "%s %s: payload bytes", req.Method, req.URL)
	if want != "" {
		require.Equal(tb, want, w.Header().Get("X-Cache"), "%s: X-Cache", req.URL)
	}
}

// settleStores waits for the stores still under way: the warm-up's, so
// that the hits find its entry stored, and a cycle's, so that they end in
// the window that measures it.
func (f *fixture) settleStores(b *testing.B) {
	settleStores(b, f.settle)
}

// checkRuns fails b unless the handler ran as often as the mode says
// for b.N requests since from (every time on a baseline).
func (f *fixture) checkRuns(b *testing.B, m mode, from int64) {
	want := m.handlerRuns(b.N)
	if f.baseline {
		want = int64(b.N)
	}
	require.Equal(b, want, f.app.runs.Load()-from, "%s: handler runs for %d requests", m, b.N)
}
