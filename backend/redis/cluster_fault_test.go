package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// One master of a cluster dies: its breaker opens and calls that need it
// fail at once, while entries and tokens on the other masters still serve
// hits. The breakers are per node, installed as hooks on the node clients.
func TestRedisClusterOneNodeDown(t *testing.T) {
	c := testutil.StartPrivateCluster(t, 3)
	clock := testutil.NewClock()
	// The fault is a killed node, which refuses at once: the fills before
	// it get timeouts a loaded machine does not reach (with 200ms, two slow
	// calls opened a breaker before the fault).
	opts := redis.Options{KeyPrefix: "app", BreakerThreshold: 2, BreakerCooldown: time.Second, Logger: quiet, Now: clock.Now,
		DialTimeout: testutil.SocketTimeout, SocketTimeout: testutil.SocketTimeout}
	r := newTestCluster(t, c, opts)
	const n = 30
	for i := range n {
		fillEntry(t, r, treeKey(i), time.Minute, treeNames(i)...)
	}
	nodes := make([]*goredis.Client, len(c.Addrs()))
	for i := range nodes {
		nodes[i] = c.NodeClient(t, i)
	}
	// Kill a master that holds neither hash tag's tokens, so that the
	// entries elsewhere stay readable.
	tagged := map[int]bool{
		nodeOf(t, nodes, "app:t:gincache:t:{/}:S:/"):           true,
		nodeOf(t, nodes, "app:t:gincache:t:{/items}:S:/items"): true,
	}
	victim := -1
	for i := range nodes {
		if !tagged[i] {
			victim = i
		}
	}
	// two tags cannot cover three masters
	require.GreaterOrEqual(t, victim, 0, "every master holds tokens")
	onVictim, elsewhere := []int{}, []int{}
	for i := range n {
		if nodeOf(t, nodes, "app:e:"+treeKey(i)) == victim {
			onVictim = append(onVictim, i)
		} else {
			elsewhere = append(elsewhere, i)
		}
	}
	require.NotEmpty(t, onVictim, "entries not spread over the masters: %d on the victim, %d elsewhere", len(onVictim), len(elsewhere))
	require.NotEmpty(t, elsewhere, "entries not spread over the masters: %d on the victim, %d elsewhere", len(onVictim), len(elsewhere))

	c.Kill(t, victim)
	for range 10 {
		if r.BreakerState() == backend.BreakerOpen {
			break
		}
		_ = lookupWithin(t, r, treeKey(onVictim[0]), treeNames(onVictim[0])...)
	}
	s := r.BreakerState()
	require.Equal(t, backend.BreakerOpen, s, "breaker %s after calls to a dead master", s)
	for _, i := range onVictim {
		err := lookupWithin(t, r, treeKey(i), treeNames(i)...)
		require.ErrorIs(t, err, redis.ErrBreakerOpen, "Lookup of an entry on the dead master")
	}
	for _, i := range elsewhere {
		err := lookupWithin(t, r, treeKey(i), treeNames(i)...)
		require.NoError(t, err, "Lookup of /items/%d on a live master: %v, want a hit", i, err)
	}
	// Invalidation needs only the tokens' masters: it still works.
	require.NoError(t, r.Renew(context.Background(), treeNames(elsewhere[0])[3:4], time.Minute), "Renew with a master down that holds no token")
	err := lookupWithin(t, r, treeKey(elsewhere[0]), treeNames(elsewhere[0])...)
	require.ErrorIs(t, err, backend.ErrNotFound, "Lookup after its renewal")
}
