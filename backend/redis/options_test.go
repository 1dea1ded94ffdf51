package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRedisRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  string
		opts redis.Options
		want string
	}{
		{"hash tag in prefix", "redis://127.0.0.1:1", redis.Options{KeyPrefix: "app{x}"}, "must not hold '{'"},
		{"negative timeout", "redis://127.0.0.1:1", redis.Options{SocketTimeout: -time.Second}, "SocketTimeout must not be negative"},
		{"negative breaker", "redis://127.0.0.1:1", redis.Options{BreakerThreshold: -1, CheckInterval: -1}, "BreakerThreshold must not be negative"},
		{"retries below -1", "redis://127.0.0.1:1", redis.Options{MaxRetries: -2}, "MaxRetries must not be negative"},
		{"scheme", "http://127.0.0.1:6379", redis.Options{}, "invalid URL scheme"},
		{"database", "redis://127.0.0.1:6379/x", redis.Options{}, "invalid database"},
		{"unparsable, password hidden", "redis://user:s3cret@host:port:x/", redis.Options{}, "not shown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := redis.New(tc.url, tc.opts)
			if err == nil {
				r.Close()
			}
			require.Error(t, err, "NewRedis(%q, %+v)", tc.url, tc.opts)
			assert.ErrorContains(t, err, tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "backend: "), "error %q, want it to start with \"backend: \"", err)
			assert.NotContains(t, err.Error(), "s3cret", "the error leaks the password")
		})
	}
}

func TestNewRedisClusterRejectsBadOptions(t *testing.T) {
	_, err := redis.NewCluster(nil, redis.Options{})
	assert.Error(t, err, "NewRedisCluster with no address")
	_, err = redis.NewCluster([]string{"127.0.0.1:1"}, redis.Options{DB: 2})
	assert.Error(t, err, "NewRedisCluster with DB 2: a cluster has database 0 only")
}

// A backend made while Redis is down starts anyway: the application must
// come up without its cache.
func TestNewRedisDoesNotNeedTheServer(t *testing.T) {
	r, err := redis.New("redis://127.0.0.1:1/0", redis.Options{})
	require.NoError(t, err, "NewRedis on a closed port")
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = r.Ping(ctx)
	require.Error(t, err, "Ping of a closed port")
}

func TestNewRedisClientChecksTheClient(t *testing.T) {
	ctx := context.Background()
	good := &goredis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true}
	for _, tc := range []struct {
		name   string
		client goredis.UniversalClient
		opts   redis.Options
		want   string
	}{
		{"nil", nil, redis.Options{}, "needs a client"},
		{"no context timeouts", goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"}), redis.Options{}, "ContextTimeoutEnabled"},
		{"deadlines off", goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, ReadTimeout: -2}), redis.Options{}, "-2"},
		{"cluster without context timeouts", goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}}), redis.Options{}, "ContextTimeoutEnabled"},
		{"ring", goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}}), redis.Options{}, "unsupported Redis client"},
		{"connection options", goredis.NewClient(good), redis.Options{DB: 3, SocketTimeout: time.Second, PeekConnections: true}, "[DB SocketTimeout PeekConnections]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.client != nil {
				defer tc.client.Close()
			}
			r, err := redis.FromClient(ctx, tc.client, tc.opts)
			if err == nil {
				r.Close()
			}
			require.Error(t, err, "NewRedisClient")
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
