package near_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend/near"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// Stale-while-revalidate on the near cache, through a real Gin app: a
// request past an entry's TTL, inside its stale window, gets the near
// copy (X-Cache STALE) with no lookup in Redis, and the refresh it starts
// stores the handler's new response under the token values the near copy
// recorded. With values that were not Redis's current ones (zeros, say)
// the store would conflict, nothing would be stored, and the request
// after the refresh would get the old copy again instead of a hit on the
// new one.
func TestNearStaleWhileRevalidate(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	clock := testutil.NewClock()
	// A lease of 5s: a late probe on a loaded machine must not send the
	// stale hits to Redis, which the test counts (no write waits for it).
	n, err := near.New(newRedis(t, srv.URL()), near.Options{Delta: 5 * time.Second, Logger: quiet, Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close() })
	table := gincache.Table{{Method: "GET", Path: "/doc", Policy: gincache.Policy{TTL: 10 * time.Second, Stale: time.Minute}}}
	c, err := gincache.New(table, gincache.WithBackend(n), gincache.WithClock(clock.Now), gincache.WithLogger(quiet),
		gincache.WithBudget(5*time.Second), gincache.WithWriteBudget(5*time.Second))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	var version atomic.Int64
	version.Store(1)
	// holdRefresh is set just before the stale request: the handler's
	// next run is the refresh it starts. Not "the second run": a warm-up
	// request that looked the key up just before the first store ended
	// and came to its flight just after, when the flight was over, runs
	// the handler itself (a miss more, never a wrong response), and that
	// run must not be held.
	var holdRefresh atomic.Bool
	refreshing, release := make(chan struct{}), make(chan struct{})
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(c.Middleware())
	r.GET("/doc", func(gc *gin.Context) {
		if holdRefresh.CompareAndSwap(true, false) { // the refresh: held while the stale hits are checked
			close(refreshing)
			<-release
		}
		gc.String(200, "v%d", version.Load())
	})
	web := httptest.NewServer(r)
	t.Cleanup(web.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release) // a failed check must not leave the refresh blocked
		}
	})
	get := func() (xcache, body, age string) {
		t.Helper()
		res, err := client.Get(web.URL + "/doc")
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, 200, res.StatusCode, "GET /doc: %s", b)
		return res.Header.Get("X-Cache"), string(b), res.Header.Get("Age")
	}
	lookups := func() int64 {
		t.Helper()
		info, err := srv.Client().Info(context.Background(), "commandstats").Result()
		require.NoError(t, err)
		_, rest, ok := strings.Cut(info, "cmdstat_mget:calls=")
		if !ok {
			return 0
		}
		calls, _, _ := strings.Cut(rest, ",")
		v, err := strconv.ParseInt(calls, 10, 64)
		require.NoError(t, err)
		return v
	}

	testutil.WaitFor(t, "the near cache's lease", func() bool { return n.Stats().Leased })
	x, body, _ := get()
	require.Equal(t, "MISS", x)
	require.Equal(t, "v1", body)
	testutil.WaitFor(t, "GET /doc to be a near hit", func() bool {
		before := c.Service().Stats().NearHits
		x, body, _ = get()
		return x == "HIT" && c.Service().Stats().NearHits == before+1
	})
	require.Equal(t, "v1", body)

	version.Store(2) // changed behind the cache's back: the TTL bounds it
	clock.Advance(15 * time.Second)
	holdRefresh.Store(true)
	before := lookups()
	x, body, age := get()
	require.Equal(t, "STALE", x)
	require.Equal(t, "v1", body)
	require.Equal(t, "15", age)
	<-refreshing
	for range 3 { // while the refresh runs: stale, and from the near copy
		x, body, _ = get()
		require.Equal(t, "STALE", x)
		require.Equal(t, "v1", body)
	}
	require.Equal(t, before, lookups(), "stale hits looked the entry up in Redis")

	// Until the invalidation of the entry's key (its store) reaches the
	// near cache, a request may still get the old copy stale, and start
	// a refresh of its own.
	close(release)
	testutil.WaitFor(t, "the refresh's response to be served", func() bool {
		x, body, _ = get()
		return x == "HIT" && body == "v2"
	})
}
