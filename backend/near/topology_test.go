package near_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redisbackend "github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// On the 3-master cluster: a channel per master, near hits, and a write
// through one instance that the other never answers with its old copy,
// whichever masters hold the tokens.
func TestNearCluster(t *testing.T) {
	c := testutil.StartCluster(t, 3)
	prefix := strings.TrimSuffix(testutil.Prefix(t), ":")
	defer c.Flush(t, prefix+":")
	store := quickstart.NewStore()
	newSrc := func() *redisbackend.Redis {
		r, err := redisbackend.NewCluster(c.Addrs(), redisbackend.Options{KeyPrefix: prefix, Logger: quiet})
		require.NoError(t, err)
		t.Cleanup(func() { _ = r.Close() })
		return r
	}
	a := newInstance(t, newSrc(), store, slowDelta)
	b := newInstance(t, newSrc(), store, slowDelta)
	b.waitLeased(t)
	assert.Equal(t, 3, b.near.Stats().Channels)

	paths := []string{"/spaces/4", "/spaces", "/items", "/spaces/4/items", "/spaces/6"}
	for _, p := range paths {
		b.warm(t, p)
		b.nearHit(t, p)
	}
	for i, p := range []string{"/spaces/4", "/spaces/6"} {
		w := a.do(t, "PATCH", p, `{"name":"renamed"}`)
		require.Equal(t, 200, w.status)
		got := b.do(t, "GET", p, "")
		assert.Equal(t, w.version, got.version, "write %d: B served version %d after the 2xx of %d", i, got.version, w.version)
		assert.Equal(t, "MISS", got.xcache)
	}
	b.nearHit(t, "/items")
	_, err := a.cache.Service().Clear(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "MISS", b.do(t, "GET", "/items", "").xcache, "the admin's clear on a cluster")
}

// Behind Sentinel: the channel reaches the master the client's dialer
// finds, and near hits and invalidations work as on a standalone server.
func TestNearSentinel(t *testing.T) {
	master := testutil.StartRealRedis(t)
	sentinel := testutil.StartSentinel(t, "mymaster", master)
	store := quickstart.NewStore()
	newSrc := func() *redisbackend.Redis {
		client := redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:            "mymaster",
			SentinelAddrs:         []string{sentinel.Addr()},
			ContextTimeoutEnabled: true,
			DialTimeout:           200 * time.Millisecond,
			ReadTimeout:           200 * time.Millisecond,
		})
		t.Cleanup(func() { _ = client.Close() })
		r, err := redisbackend.FromClient(context.Background(), client, redisbackend.Options{KeyPrefix: "app", Logger: quiet})
		require.NoError(t, err)
		t.Cleanup(func() { _ = r.Close() })
		return r
	}
	a := newInstance(t, newSrc(), store, slowDelta)
	b := newInstance(t, newSrc(), store, slowDelta)
	assert.Equal(t, "redis-sentinel+near", b.near.Kind())
	b.warm(t, "/spaces/4")
	b.nearHit(t, "/spaces/4")
	w := a.do(t, "PATCH", "/spaces/4", `{"name":"renamed"}`)
	require.Equal(t, 200, w.status)
	got := b.do(t, "GET", "/spaces/4", "")
	assert.Equal(t, w.version, got.version)
	assert.Equal(t, "MISS", got.xcache)
}
