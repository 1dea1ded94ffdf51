package redis_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// treeNames are the tokens an entry for /items/i is stored under.
func treeNames(i int) []string {
	return []string{
		"gincache:t:{/}:epoch",
		"gincache:t:{/}:S:/",
		"gincache:t:{/items}:S:/items",
		fmt.Sprintf("gincache:t:{/items}:S:/items/%d", i),
		fmt.Sprintf("gincache:t:{/items}:E:/items/%d", i),
	}
}

func treeKey(i int) string { return fmt.Sprintf("gincache:1:GET:h/items/%d::", i) }

// nodeOf returns the index of the master holding the Redis key.
func nodeOf(t *testing.T, nodes []*goredis.Client, key string) int {
	t.Helper()
	for i, n := range nodes {
		if n.Exists(context.Background(), key).Val() == 1 {
			return i
		}
	}
	t.Fatalf("no master holds %q", key)
	return -1
}

func TestRedisClusterTreeSpansShards(t *testing.T) {
	c := testutil.StartCluster(t, 3)
	prefix := strings.TrimSuffix(testutil.Prefix(t), ":")
	r := newTestCluster(t, c, redis.Options{KeyPrefix: prefix})
	defer c.Flush(t, prefix+":")
	const n = 40
	for i := range n {
		fillEntry(t, r, treeKey(i), time.Minute, treeNames(i)...)
	}
	nodes := make([]*goredis.Client, len(c.Addrs()))
	for i := range nodes {
		nodes[i] = c.NodeClient(t, i)
	}
	entryNodes := map[int]bool{}
	for i := range n {
		entryNodes[nodeOf(t, nodes, prefix+":e:"+treeKey(i))] = true
	}
	require.GreaterOrEqual(t, len(entryNodes), 2, "the %d entries all live on one master; want them spread", n)
	rootNode := nodeOf(t, nodes, prefix+":t:gincache:t:{/}:S:/")
	itemsNode := nodeOf(t, nodes, prefix+":t:gincache:t:{/items}:S:/items")
	for i := range n {
		for _, name := range treeNames(i)[3:] {
			got := nodeOf(t, nodes, prefix+":t:"+name)
			require.Equal(t, itemsNode, got, "token %s on master", name)
		}
	}
	var farFromRoot []int
	for i := range n {
		if nodeOf(t, nodes, prefix+":e:"+treeKey(i)) != rootNode {
			farFromRoot = append(farFromRoot, i)
		}
	}
	require.NotEmpty(t, farFromRoot, "every entry shares the root token's master; the cross-shard check would prove nothing")

	ctx := context.Background()
	// Renewing one item's subtree token invalidates that item only.
	require.NoError(t, r.Renew(ctx, treeNames(3)[3:4], time.Minute))
	for i := range n {
		_, _, err := lookup(r, treeKey(i), treeNames(i)...)
		if i == 3 {
			require.ErrorIs(t, err, backend.ErrNotFound, "after renewing S(/items/3): Lookup(/items/%d)", i)
		} else {
			require.NoError(t, err, "after renewing S(/items/3): Lookup(/items/%d)", i)
		}
	}
	// Renewing the root's S, on another shard than most entries,
	// invalidates them all.
	require.NoError(t, r.Renew(ctx, []string{"gincache:t:{/}:S:/"}, time.Minute))
	for _, i := range farFromRoot {
		_, _, err := lookup(r, treeKey(i), treeNames(i)...)
		require.ErrorIs(t, err, backend.ErrNotFound, "after renewing S(/): Lookup(/items/%d), on another shard", i)
	}
}

func TestRedisClusterRoundTrips(t *testing.T) {
	c := testutil.StartCluster(t, 3)
	prefix := testutil.Prefix(t)
	defer c.Flush(t, prefix)
	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
	defer client.Close()
	counter := &roundTrips{}
	client.AddHook(counter)
	ctx := context.Background()
	r, err := redis.FromClient(ctx, client, redis.Options{KeyPrefix: strings.TrimSuffix(prefix, ":"), Logger: quiet})
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, "redis-cluster", r.Kind(), "Kind()")
	fillEntry(t, r, treeKey(1), time.Minute, treeNames(1)...)
	counter.take()
	_, _, err = lookup(r, treeKey(1), treeNames(1)...)
	require.NoError(t, err)
	pipelines, singles := counter.take()
	// Two hash tags, {/} and {/items}: one MGET each.
	want := [][]string{{"get", "mget", "mget"}}
	require.Empty(t, singles, "Lookup hit on a cluster: single commands")
	require.Equal(t, want, pipelines, "Lookup hit on a cluster: pipelines")

	// A store: one script call per hash slot of tokens, in one pipeline,
	// then the entry's SET (its slot is not the tokens').
	_, vals, err := lookup(r, treeKey(2), treeNames(2)...)
	require.ErrorIs(t, err, backend.ErrNotFound)
	counter.take()
	require.NoError(t, r.Store(ctx, treeKey(2), testEntry("x"), time.Minute, backend.Tokens{Names: treeNames(2), Values: vals}))
	pipelines, singles = counter.take()
	assert.Equal(t, [][]string{{"evalsha", "evalsha"}}, pipelines, "Store on a cluster: pipelines")
	assert.Equal(t, []string{"set"}, singles, "Store on a cluster: single commands")
	_, _, err = lookup(r, treeKey(2), treeNames(2)...)
	assert.NoError(t, err, "Lookup after the cluster Store")
}

func TestRedisClusterScanAndClearCoverEveryMaster(t *testing.T) {
	c := testutil.StartCluster(t, 3)
	prefix := strings.TrimSuffix(testutil.Prefix(t), ":")
	r := newTestCluster(t, c, redis.Options{KeyPrefix: prefix})
	defer c.Flush(t, prefix+":")
	ctx := context.Background()
	var want []string
	for i := range 200 {
		k := fmt.Sprintf("k:%03d", i)
		want = append(want, k)
		require.NoError(t, r.Store(ctx, k, testEntry(k), time.Minute, backend.Tokens{}))
	}
	for _, count := range []int{1, 7, 500} {
		seen := map[string]bool{}
		cursor, pages := "", 0
		for {
			keys, next, err := r.Scan(ctx, "k:*", cursor, count)
			require.NoError(t, err, "Scan page %d", pages)
			for _, k := range keys {
				seen[k.Key] = true
				require.Greater(t, k.TTL, time.Duration(0), "Scan reported TTL %v for %s", k.TTL, k.Key)
				require.LessOrEqual(t, k.TTL, time.Minute, "Scan reported TTL %v for %s", k.TTL, k.Key)
			}
			pages++
			if next == "" {
				break
			}
			cursor = next
		}
		for _, k := range want {
			require.True(t, seen[k], "count %d: a full Scan over %d pages missed %s", count, pages, k)
		}
		require.Len(t, seen, len(want), "count %d: Scan listed %d keys", count, len(seen))
	}
	fillEntry(t, r, treeKey(1), time.Minute, treeNames(1)...)
	n, err := r.ClearPattern(ctx, "k:*")
	require.NoError(t, err, "ClearPattern(k:*)")
	require.Equal(t, 200, n, "ClearPattern(k:*)")
	_, _, err = lookup(r, treeKey(1), treeNames(1)...)
	require.NoError(t, err, "ClearPattern(k:*) touched another entry or its tokens")
	n, err = r.ClearPattern(ctx, "")
	require.NoError(t, err, "ClearPattern(\"\")")
	require.Equal(t, 1, n, "ClearPattern(\"\")")
	tokens := 0
	for i := range c.Addrs() {
		tokens += len(c.NodeClient(t, i).Keys(ctx, prefix+":t:*").Val())
	}
	require.Equal(t, len(treeNames(1)), tokens, "tokens left after clearing every entry")
}
