package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Sentinel failover promotes the replica: the backend follows it, and
// its epoch changes (the new master's run_id), so that the cache renews
// its epoch token against renewals the replica may have missed.
func TestRedisSentinelFailoverChangesEpoch(t *testing.T) {
	master := testutil.StartRealRedis(t)
	replica := testutil.StartReplica(t, master)
	sentinel := testutil.StartSentinel(t, "mymaster", master)
	client := goredis.NewFailoverClient(&goredis.FailoverOptions{
		MasterName:            "mymaster",
		SentinelAddrs:         []string{sentinel.Addr()},
		ContextTimeoutEnabled: true,
		DialTimeout:           200 * time.Millisecond,
		ReadTimeout:           200 * time.Millisecond,
	})
	defer client.Close()
	ctx := context.Background()
	r, err := redis.FromClient(ctx, client, redis.Options{KeyPrefix: "app", Logger: quiet})
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, "redis-sentinel", r.Kind(), "Kind()")
	fillEntry(t, r, "k", time.Minute, itemNames...)
	_, _, err = lookup(r, "k", itemNames...)
	require.NoError(t, err, "hit through Sentinel")
	r.CheckRunIDs(ctx)
	before := r.KnownRunIDs()
	epoch := r.Epoch()

	sc := goredis.NewSentinelClient(&goredis.Options{Addr: sentinel.Addr()})
	defer sc.Close()
	sentinel.Failover(t, "mymaster")
	testutil.WaitFor(t, "the epoch to change after the failover", func() bool {
		// Calls keep flowing, as they would in production; errors during
		// the switch are expected.
		_, _, _ = lookup(r, "k", itemNames...)
		return r.Epoch() != epoch
	})
	testutil.WaitFor(t, "the backend to reach the promoted replica", func() bool {
		addr, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
		return err == nil && "127.0.0.1:"+addr[1] == replica.Addr()
	})
	after := r.KnownRunIDs()
	require.NotEqual(t, before[""], after[""], "run_id %q unchanged by the failover", after[""])
	// Writes reach the new master.
	testutil.WaitFor(t, "a Renew to succeed on the new master", func() bool {
		return r.Renew(ctx, itemNames[4:], time.Minute) == nil
	})
	n := replica.Client().Exists(ctx, "app:t:"+itemNames[4]).Val()
	require.Equal(t, int64(1), n, "the renewed token is not on the promoted replica")
}
