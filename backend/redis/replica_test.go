package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// Token reads must go to masters: replication is asynchronous, so a
// replica can still hold the tokens a write has just renewed, and a hit
// read there would be stale. A client that can read replicas is refused,
// with an error naming the option that makes it do so.
func TestNewRedisClientRefusesReplicaReads(t *testing.T) {
	ctx := context.Background()
	cluster := func(o goredis.ClusterOptions) goredis.UniversalClient {
		o.Addrs, o.ContextTimeoutEnabled = []string{"127.0.0.1:1"}, true
		return goredis.NewClusterClient(&o)
	}
	for _, tc := range []struct {
		name   string
		client goredis.UniversalClient
		want   string
	}{
		{"cluster ReadOnly", cluster(goredis.ClusterOptions{ReadOnly: true}), "ReadOnly"},
		{"cluster RouteByLatency", cluster(goredis.ClusterOptions{RouteByLatency: true}), "RouteByLatency"},
		{"cluster RouteRandomly", cluster(goredis.ClusterOptions{RouteRandomly: true}), "RouteRandomly"},
		{"failover cluster RouteRandomly", goredis.NewFailoverClusterClient(&goredis.FailoverOptions{
			MasterName: "m", SentinelAddrs: []string{"127.0.0.1:1"}, RouteRandomly: true, ContextTimeoutEnabled: true,
		}), "RouteRandomly"},
		{"failover cluster ReplicaOnly", goredis.NewFailoverClusterClient(&goredis.FailoverOptions{
			MasterName: "m", SentinelAddrs: []string{"127.0.0.1:1"}, ReplicaOnly: true, ContextTimeoutEnabled: true,
		}), "ReadOnly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.client.Close()
			r, err := redis.FromClient(ctx, tc.client, redis.Options{Logger: quiet})
			if err == nil {
				r.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	t.Run("sentinel ReplicaOnly", func(t *testing.T) {
		master := testutil.StartRealRedis(t)
		testutil.StartReplica(t, master)
		sentinel := testutil.StartSentinel(t, "mymaster", master)
		sc := goredis.NewSentinelClient(&goredis.Options{Addr: sentinel.Addr()})
		defer sc.Close()
		testutil.WaitFor(t, "Sentinel to discover the replica", func() bool {
			replicas, err := sc.Replicas(ctx, "mymaster").Result()
			return err == nil && len(replicas) == 1 && !strings.ContainsAny(replicas[0]["flags"], "_") &&
				!strings.Contains(replicas[0]["flags"], "disconnected")
		})
		client := goredis.NewFailoverClient(&goredis.FailoverOptions{
			MasterName: "mymaster", SentinelAddrs: []string{sentinel.Addr()}, ReplicaOnly: true,
			ContextTimeoutEnabled: true, DialTimeout: time.Second, ReadTimeout: time.Second,
		})
		defer client.Close()
		r, err := redis.FromClient(ctx, client, redis.Options{Logger: quiet})
		if err == nil {
			r.Close()
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ReplicaOnly")
	})

	t.Run("client of a replica", func(t *testing.T) {
		master := testutil.StartRealRedis(t)
		replica := testutil.StartReplica(t, master)
		client := goredis.NewClient(&goredis.Options{Addr: replica.Addr(), ContextTimeoutEnabled: true})
		defer client.Close()
		r, err := redis.FromClient(ctx, client, redis.Options{Logger: quiet})
		if err == nil {
			r.Close()
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "replica")
	})
}
