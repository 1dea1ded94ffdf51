package testutil

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runID(t *testing.T, c *redis.Client) string {
	t.Helper()
	info, err := c.Info(context.Background(), "server").Result()
	require.NoError(t, err, "INFO server")
	for line := range strings.SplitSeq(info, "\r\n") {
		if id, ok := strings.CutPrefix(line, "run_id:"); ok {
			return id
		}
	}
	t.Fatalf("no run_id in INFO server: %q", info)
	return ""
}

func TestRedisServesAndIsEmptyAfterRestart(t *testing.T) {
	r := StartRealRedis(t)
	ctx := context.Background()
	c := r.Client()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	cfg := c.ConfigGet(ctx, "save").Val()
	assert.Empty(t, cfg["save"], "save = %q, want persistence off", cfg["save"])
	before := runID(t, c)

	r.Restart()
	// The first command may hit the dead connection; the next one must
	// reach the new, empty server.
	require.Error(t, c.Get(ctx, "k").Err(), "key survived a restart")
	err := c.Get(ctx, "k").Err()
	require.ErrorIs(t, err, redis.Nil, "GET after restart")
	after := runID(t, c)
	require.NotEqual(t, before, after, "run_id %s unchanged by a restart", after)
}

func TestRedisKillRefusesConnections(t *testing.T) {
	r := StartRealRedis(t)
	r.Kill()
	conn, err := net.DialTimeout("tcp", r.Addr(), time.Second)
	if err == nil {
		conn.Close()
	}
	require.Error(t, err, "a killed server still accepts connections")
	r.Restart()
	require.NoError(t, r.Client().Ping(context.Background()).Err(), "PING after Restart")
}

func TestRedisPauseHangsAndResumeAnswers(t *testing.T) {
	r := StartRealRedis(t)
	c := r.Client()
	ctx := context.Background()
	require.NoError(t, c.Ping(ctx).Err())
	r.Pause()
	hung := redis.NewClient(&redis.Options{Addr: r.Addr(), ReadTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer hung.Close()
	err := hung.Ping(ctx).Err()
	var ne net.Error
	require.True(t, errors.As(err, &ne), "PING on a paused server: %v, want a timeout", err)
	require.True(t, ne.Timeout(), "PING on a paused server: %v, want a timeout", err)
	r.Resume()
	require.NoError(t, c.Ping(ctx).Err(), "PING after Resume")
}

func TestRedisPausedIsStoppedAtCleanup(t *testing.T) {
	RealServerBinary(t, "test of a paused server") // skip here too, not only in the subtest
	var r *Redis
	t.Run("inner", func(t *testing.T) {
		r = StartRealRedis(t)
		r.Pause()
	})
	conn, err := net.DialTimeout("tcp", r.Addr(), time.Second)
	if err == nil {
		conn.Close()
	}
	require.Error(t, err, "a server paused at the end of its test was not stopped")
}

func TestFlushTouchesOnlyItsPrefix(t *testing.T) {
	r := StartRedis(t)
	ctx := context.Background()
	c := r.Client()
	mine, other := Prefix(t), Prefix(t)
	require.NotEqual(t, other, mine, "Prefix returned %q twice", mine)
	for _, k := range []string{mine + "a", mine + "b", mine + "*", other + "a", "plain"} {
		require.NoError(t, c.Set(ctx, k, "v", 0).Err())
	}
	n := r.Flush(mine)
	assert.Equal(t, 3, n, "Flush deleted %d keys", n)
	keys, err := c.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 2, "keys left")
}

func TestPrefixIsGlobAndTagFree(t *testing.T) {
	p := Prefix(t)
	require.False(t, strings.ContainsAny(p, `*?[]\{}`), "Prefix %q holds glob or hash-tag characters", p)
}

func TestSentinelFailsOverToTheReplica(t *testing.T) {
	master := StartRealRedis(t)
	replica := StartReplica(t, master)
	s := StartSentinel(t, "m", master)
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr()})
	defer sc.Close()
	ctx := context.Background()
	addr := sc.GetMasterAddrByName(ctx, "m").Val()
	require.Len(t, addr, 2, "Sentinel reports master %v, want %s", addr, master.Addr())
	require.Equal(t, strings.Split(master.Addr(), ":")[1], addr[1], "Sentinel reports master %v, want %s", addr, master.Addr())
	s.Failover(t, "m")
	WaitFor(t, "the replica to be promoted", func() bool {
		addr := sc.GetMasterAddrByName(ctx, "m").Val()
		return len(addr) == 2 && "127.0.0.1:"+addr[1] == replica.Addr()
	})
}
