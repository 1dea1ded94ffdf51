package backend_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// Token reads must go to masters: replication is asynchronous, so a
// replica can still hold the tokens a write has just renewed, and a hit
// read there would be stale. A client that can read replicas is refused,
// with an error naming the option that makes it do so.
func TestNewRedisClientRefusesReplicaReads(t *testing.T) {
	ctx := context.Background()
	cluster := func(o redis.ClusterOptions) redis.UniversalClient {
		o.Addrs, o.ContextTimeoutEnabled = []string{"127.0.0.1:1"}, true
		return redis.NewClusterClient(&o)
	}
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		want   string
	}{
		{"cluster ReadOnly", cluster(redis.ClusterOptions{ReadOnly: true}), "ReadOnly"},
		{"cluster RouteByLatency", cluster(redis.ClusterOptions{RouteByLatency: true}), "RouteByLatency"},
		{"cluster RouteRandomly", cluster(redis.ClusterOptions{RouteRandomly: true}), "RouteRandomly"},
		{"failover cluster RouteRandomly", redis.NewFailoverClusterClient(&redis.FailoverOptions{
			MasterName: "m", SentinelAddrs: []string{"127.0.0.1:1"}, RouteRandomly: true, ContextTimeoutEnabled: true,
		}), "RouteRandomly"},
		{"failover cluster ReplicaOnly", redis.NewFailoverClusterClient(&redis.FailoverOptions{
			MasterName: "m", SentinelAddrs: []string{"127.0.0.1:1"}, ReplicaOnly: true, ContextTimeoutEnabled: true,
		}), "ReadOnly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.client.Close()
			r, err := backend.NewRedisClient(ctx, tc.client, backend.RedisOptions{Logger: quiet})
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
		sc := redis.NewSentinelClient(&redis.Options{Addr: sentinel.Addr()})
		defer sc.Close()
		testutil.WaitFor(t, "Sentinel to discover the replica", func() bool {
			replicas, err := sc.Replicas(ctx, "mymaster").Result()
			return err == nil && len(replicas) == 1 && !strings.ContainsAny(replicas[0]["flags"], "_") &&
				!strings.Contains(replicas[0]["flags"], "disconnected")
		})
		client := redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: "mymaster", SentinelAddrs: []string{sentinel.Addr()}, ReplicaOnly: true,
			ContextTimeoutEnabled: true, DialTimeout: time.Second, ReadTimeout: time.Second,
		})
		defer client.Close()
		r, err := backend.NewRedisClient(ctx, client, backend.RedisOptions{Logger: quiet})
		if err == nil {
			r.Close()
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ReplicaOnly")
	})

	t.Run("client of a replica", func(t *testing.T) {
		master := testutil.StartRealRedis(t)
		replica := testutil.StartReplica(t, master)
		client := redis.NewClient(&redis.Options{Addr: replica.Addr(), ContextTimeoutEnabled: true})
		defer client.Close()
		r, err := backend.NewRedisClient(ctx, client, backend.RedisOptions{Logger: quiet})
		if err == nil {
			r.Close()
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "replica")
	})
}
