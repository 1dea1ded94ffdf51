package bench

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	redisv8 "github.com/go-redis/redis/v8"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// warmPools opens the connections a client's pools can hold before
// anything is measured. A pool that grows inside a measured window adds
// a dial to the wall time and a handshake (HELLO, CLIENT SETINFO) to the
// server's statistics, whose reply writes redis-trips/op would count as
// round trips of the requests: a store after the response, which runs
// beside the next request's lookup, grows go-redis's pools a connection
// at a time over the first rounds. A server that has run for a while
// has its pools open; so does every contender here.
//
// go-redis v9 keeps two pools: the main one (PoolSize) and one for
// pipelines (PipelinePoolSize, DefaultPipelinePoolSize by default), which
// gincache's lookups and stores use. Each is filled by as many blocking
// calls at once as it holds (holdAll); admin is another client of the
// same server, which watches and releases them.
//
// It fails tb unless both pools end full, so a benchmark never runs on a
// pool it believes warm.
func warmPools(tb testing.TB, admin *goredis.Client, c goredis.UniversalClient) {
	tb.Helper()
	cl, ok := c.(*goredis.Client)
	require.True(tb, ok, "warmPools: a standalone client, got %T", c)
	poolSize, pipelinePoolSize := cl.Options().PoolSize, cl.Options().PipelinePoolSize
	if pipelinePoolSize == 0 {
		pipelinePoolSize = goredis.DefaultPipelinePoolSize
	}
	holdAll(tb, admin, poolSize, func(ctx context.Context, key string) error {
		return cl.BLPop(ctx, 0, key).Err()
	})
	holdAll(tb, admin, pipelinePoolSize, func(ctx context.Context, key string) error {
		_, err := cl.Pipelined(ctx, func(p goredis.Pipeliner) error {
			p.BLPop(ctx, 0, key)
			return nil
		})
		return err
	})
	st := cl.PoolStats()
	require.EqualValues(tb, poolSize, st.TotalConns, "connections in the main pool after warming it")
	require.NotNil(tb, st.PipelineStats, "the pipeline pool's statistics")
	require.EqualValues(tb, pipelinePoolSize, st.PipelineStats.TotalConns, "connections in the pipeline pool after warming it")
}

// warmPoolV8 is warmPools for chenyahui/gin-cache's go-redis v8 client,
// which has one pool.
func warmPoolV8(tb testing.TB, admin *goredis.Client, c *redisv8.Client) {
	tb.Helper()
	holdAll(tb, admin, c.Options().PoolSize, func(ctx context.Context, key string) error {
		return c.BLPop(ctx, 0, key).Err()
	})
	require.EqualValues(tb, c.Options().PoolSize, c.PoolStats().TotalConns, "connections in the pool after warming it")
}

// warmKeys numbers the lists warm-ups block on, one per warm-up.
var warmKeys atomic.Uint64

// holdAll makes n calls at once, each a BLPOP without a timeout on a list
// of the warm-up's own, so that each holds a connection of its own until
// released. It waits until the server counts all n blocked, then pushes
// n elements, one for each; it pushes them even when the count is not
// reached by the deadline, so that no call stays blocked, and then fails.
func holdAll(tb testing.TB, admin *goredis.Client, n int, blpop func(ctx context.Context, key string) error) {
	tb.Helper()
	ctx := context.Background()
	key := "warm:" + strconv.FormatUint(warmKeys.Add(1), 10)
	before := blockedClients(tb, admin)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = blpop(ctx, key) })
	}
	blocked := before
	for deadline := time.Now().Add(30 * time.Second); blocked < before+n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		blocked = blockedClients(tb, admin)
	}
	release := make([]any, n)
	for i := range release {
		release[i] = "go"
	}
	require.NoError(tb, admin.RPush(ctx, key, release...).Err(), "releasing the warm-up's calls")
	wg.Wait()
	require.NoError(tb, admin.Del(ctx, key).Err(), "deleting the warm-up's list")
	for _, err := range errs {
		require.NoError(tb, err, "a warm-up call")
	}
	require.Equal(tb, before+n, blocked, "clients blocked at once by the warm-up, each on a connection of its own")
}

// blockedClients is INFO's count of the server's clients blocked in a
// blocking command.
func blockedClients(tb testing.TB, admin *goredis.Client) int {
	tb.Helper()
	info, err := admin.Info(context.Background(), "clients").Result()
	require.NoError(tb, err, "INFO clients")
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "blocked_clients:"); ok {
			n, err := strconv.Atoi(v)
			require.NoError(tb, err, "blocked_clients: %q", v)
			return n
		}
	}
	require.FailNow(tb, "INFO clients has no blocked_clients")
	return 0
}
