package backend_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/redis/go-redis/v9"
)

func TestNewRedisRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  string
		opts backend.RedisOptions
		want string
	}{
		{"hash tag in prefix", "redis://127.0.0.1:1", backend.RedisOptions{KeyPrefix: "app{x}"}, "must not hold '{'"},
		{"negative timeout", "redis://127.0.0.1:1", backend.RedisOptions{SocketTimeout: -time.Second}, "SocketTimeout must not be negative"},
		{"negative breaker", "redis://127.0.0.1:1", backend.RedisOptions{BreakerThreshold: -1, CheckInterval: -1}, "BreakerThreshold must not be negative"},
		{"retries below -1", "redis://127.0.0.1:1", backend.RedisOptions{MaxRetries: -2}, "MaxRetries must not be negative"},
		{"scheme", "http://127.0.0.1:6379", backend.RedisOptions{}, "invalid URL scheme"},
		{"database", "redis://127.0.0.1:6379/x", backend.RedisOptions{}, "invalid database"},
		{"unparsable, password hidden", "redis://user:s3cret@host:port:x/", backend.RedisOptions{}, "not shown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := backend.NewRedis(tc.url, tc.opts)
			if err == nil {
				r.Close()
				t.Fatalf("NewRedis(%q, %+v) succeeded, want an error", tc.url, tc.opts)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "backend: ") {
				t.Errorf("error %q, want it to start with \"backend: \" and say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestNewRedisClusterRejectsBadOptions(t *testing.T) {
	if _, err := backend.NewRedisCluster(nil, backend.RedisOptions{}); err == nil {
		t.Error("NewRedisCluster with no address succeeded")
	}
	if _, err := backend.NewRedisCluster([]string{"127.0.0.1:1"}, backend.RedisOptions{DB: 2}); err == nil {
		t.Error("NewRedisCluster with DB 2 succeeded; a cluster has database 0 only")
	}
}

// A backend made while Redis is down starts anyway: the application must
// come up without its cache.
func TestNewRedisDoesNotNeedTheServer(t *testing.T) {
	r, err := backend.NewRedis("redis://127.0.0.1:1/0", backend.RedisOptions{})
	if err != nil {
		t.Fatalf("NewRedis on a closed port: %v", err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Ping(ctx); err == nil {
		t.Fatal("Ping of a closed port succeeded")
	}
}

func TestNewRedisClientChecksTheClient(t *testing.T) {
	ctx := context.Background()
	good := &redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true}
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		opts   backend.RedisOptions
		want   string
	}{
		{"nil", nil, backend.RedisOptions{}, "needs a client"},
		{"no context timeouts", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), backend.RedisOptions{}, "ContextTimeoutEnabled"},
		{"deadlines off", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, ReadTimeout: -2}), backend.RedisOptions{}, "-2"},
		{"cluster without context timeouts", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}}), backend.RedisOptions{}, "ContextTimeoutEnabled"},
		{"ring", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}}), backend.RedisOptions{}, "unsupported Redis client"},
		{"connection options", redis.NewClient(good), backend.RedisOptions{DB: 3, SocketTimeout: time.Second}, "[DB SocketTimeout]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.client != nil {
				defer tc.client.Close()
			}
			r, err := backend.NewRedisClient(ctx, tc.client, tc.opts)
			if err == nil {
				r.Close()
				t.Fatal("NewRedisClient succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
		})
	}
}
