package redis_test

import (
	"log/slog"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/backendtest"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// quiet drops the backends' logs in tests that do not look at them.
var quiet = slog.New(slog.DiscardHandler)

// newTestRedis opens a Redis backend on url under a key prefix of its
// own, closed at the end of the test.
func newTestRedis(t *testing.T, url string, opts redis.Options) *redis.Redis {
	t.Helper()
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = testutil.Prefix(t)
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	r, err := redis.New(url, opts)
	require.NoError(t, err, "NewRedis")
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func newTestCluster(t *testing.T, c *testutil.Cluster, opts redis.Options) *redis.Redis {
	t.Helper()
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = testutil.Prefix(t)
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	r, err := redis.NewCluster(c.Addrs(), opts)
	require.NoError(t, err, "NewRedisCluster")
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// unhurried are the options of the conformance suite's backends, which
// fault no server: timeouts a loaded machine does not reach, where the
// 200ms default made calls time out (and the breaker open) under -race
// beside other builds.
var unhurried = redis.Options{DialTimeout: testutil.SocketTimeout, SocketTimeout: testutil.SocketTimeout}

// Each backend the suite asks for gets a fresh key prefix on one server:
// an empty namespace, as New must give.

func TestRedisConformance(t *testing.T) {
	srv := testutil.StartRedis(t)
	backendtest.Run(t, backendtest.Harness{
		New:                   func(t *testing.T) backend.Backend { return newTestRedis(t, srv.URL(), unhurried) },
		Advance:               srv.FastForward(),
		DuplicatesAcrossPages: true,
	})
}

func TestRedisConformanceNoPrefix(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			srv := testutil.StartRedis(t)
			r, err := redis.New(srv.URL(), redis.Options{Logger: quiet, DialTimeout: testutil.SocketTimeout, SocketTimeout: testutil.SocketTimeout})
			require.NoError(t, err)
			return r
		},
		DuplicatesAcrossPages: true,
	})
}

// The miniredis fallback must pass too, clock included, since behaviour
// tests run on it where redis-server is missing.
func TestRedisConformanceMiniredis(t *testing.T) {
	mr := miniredis.RunT(t)
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			return newTestRedis(t, "redis://"+mr.Addr(), unhurried)
		},
		Advance:               mr.FastForward,
		DuplicatesAcrossPages: true,
	})
}

func TestRedisClusterConformance(t *testing.T) {
	c := testutil.StartCluster(t, 3)
	backendtest.Run(t, backendtest.Harness{
		New:                   func(t *testing.T) backend.Backend { return newTestCluster(t, c, unhurried) },
		DuplicatesAcrossPages: true,
	})
}
