package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	goredis "github.com/redis/go-redis/v9"
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
	if victim < 0 { // two tags cannot cover three masters
		t.Fatal("every master holds tokens")
	}
	onVictim, elsewhere := []int{}, []int{}
	for i := range n {
		if nodeOf(t, nodes, "app:e:"+treeKey(i)) == victim {
			onVictim = append(onVictim, i)
		} else {
			elsewhere = append(elsewhere, i)
		}
	}
	if len(onVictim) == 0 || len(elsewhere) == 0 {
		t.Fatalf("entries not spread over the masters: %d on the victim, %d elsewhere", len(onVictim), len(elsewhere))
	}

	c.Kill(t, victim)
	for range 10 {
		if r.BreakerState() == backend.BreakerOpen {
			break
		}
		_ = lookupWithin(t, r, treeKey(onVictim[0]), treeNames(onVictim[0])...)
	}
	if s := r.BreakerState(); s != backend.BreakerOpen {
		t.Fatalf("breaker %s after calls to a dead master, want open", s)
	}
	for _, i := range onVictim {
		if err := lookupWithin(t, r, treeKey(i), treeNames(i)...); !errors.Is(err, redis.ErrBreakerOpen) {
			t.Fatalf("Lookup of an entry on the dead master: %v, want ErrBreakerOpen", err)
		}
	}
	for _, i := range elsewhere {
		if err := lookupWithin(t, r, treeKey(i), treeNames(i)...); err != nil {
			t.Fatalf("Lookup of /items/%d on a live master: %v, want a hit", i, err)
		}
	}
	// Invalidation needs only the tokens' masters: it still works.
	if err := r.Renew(context.Background(), treeNames(elsewhere[0])[3:4], time.Minute); err != nil {
		t.Fatalf("Renew with a master down that holds no token: %v", err)
	}
	if err := lookupWithin(t, r, treeKey(elsewhere[0]), treeNames(elsewhere[0])...); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Lookup after its renewal: %v, want ErrNotFound", err)
	}
}
