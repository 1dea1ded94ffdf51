package gincache_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// Defect 7: an entry Redis holds that does not decode is a miss that the
// request refills, not a backend error that keeps the key uncached until
// the entry's TTL ends.
func TestRedisCorruptEntryIsRefilled(t *testing.T) {
	gin.SetMode(gin.TestMode)
	srv := testutil.StartRedis(t)
	b, err := redis.New(srv.URL(), redis.Options{KeyPrefix: "app", Logger: quietLog, DialTimeout: testutil.SocketTimeout, SocketTimeout: testutil.SocketTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, err := gincache.New(gincache.Table{{Method: "GET", Path: "/doc", Policy: gincache.Policy{TTL: time.Hour}}},
		gincache.WithBackend(b), gincache.WithLogger(quietLog), gincache.WithKeyPrefix("app"), gincache.WithBudget(testutil.Budget))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	r := gin.New()
	r.GET("/doc", c.Middleware(), func(c *gin.Context) { c.String(200, "doc") })
	hs := httptest.NewServer(r)
	t.Cleanup(hs.Close)
	get := func() (string, string, string) {
		res, err := http.Get(hs.URL + "/doc")
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(body), res.Header.Get("X-Cache"), res.Header.Get("Cache-Status")
	}
	_, xc, _ := get()
	require.Equal(t, "MISS", xc)
	ctx := t.Context()
	require.NoError(t, c.WaitStores(ctx)) // the store runs after the response
	page, err := c.Service().Keys(ctx, "", "", 10)
	require.NoError(t, err)
	require.Len(t, page.Keys, 1)
	// The entry's bytes are damaged in Redis.
	require.NoError(t, srv.Client().Set(ctx, "app:e:app:"+page.Keys[0].Key, "not an entry", time.Hour).Err())

	body, xc, status := get()
	assert.Equal(t, "doc", body)
	assert.Equal(t, "MISS", xc, "Cache-Status %s", status)
	assert.Equal(t, "gincache; fwd=miss; detail=storing", status)
	require.NoError(t, c.WaitStores(ctx))
	body, xc, _ = get()
	assert.Equal(t, "doc", body)
	assert.Equal(t, "HIT", xc)
}
