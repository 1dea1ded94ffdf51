package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	redisv8 "github.com/go-redis/redis/v8"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// warmHold is how long each connection of a warm-up is held: long enough
// for every goroutine of the warm-up to have taken its own. It is the
// timeout of a WAIT for a replica the server does not have, which blocks
// the connection that long (BLPOP's shortest timeout in go-redis is 1s).
const warmHold = 200 * time.Millisecond

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
// gincache's lookups and stores use. Each is filled by as many
// concurrent blocking calls as it holds.
//
// It fails tb unless both pools end full, so a benchmark never runs on a
// pool it believes warm.
func warmPools(tb testing.TB, c goredis.UniversalClient) {
	tb.Helper()
	cl, ok := c.(*goredis.Client)
	require.True(tb, ok, "warmPools: a standalone client, got %T", c)
	poolSize, pipelinePoolSize := cl.Options().PoolSize, cl.Options().PipelinePoolSize
	if pipelinePoolSize == 0 {
		pipelinePoolSize = goredis.DefaultPipelinePoolSize
	}
	hold(tb, poolSize, func(ctx context.Context) error {
		return cl.Wait(ctx, 1, warmHold).Err()
	})
	hold(tb, pipelinePoolSize, func(ctx context.Context) error {
		_, err := cl.Pipelined(ctx, func(p goredis.Pipeliner) error {
			p.Do(ctx, "WAIT", 1, warmHold.Milliseconds()) // Pipeliner has no Wait
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
func warmPoolV8(tb testing.TB, c *redisv8.Client) {
	tb.Helper()
	hold(tb, c.Options().PoolSize, func(ctx context.Context) error {
		return c.Wait(ctx, 1, warmHold).Err()
	})
	require.EqualValues(tb, c.Options().PoolSize, c.PoolStats().TotalConns, "connections in the pool after warming it")
}

// hold runs n blocking calls at once.
func hold(tb testing.TB, n int, call func(ctx context.Context) error) {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = call(context.Background()) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(tb, err, "warming a connection pool")
	}
}
