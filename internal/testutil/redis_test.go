package testutil

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func runID(t *testing.T, c *redis.Client) string {
	t.Helper()
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatalf("INFO server: %v", err)
	}
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
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if cfg := c.ConfigGet(ctx, "save").Val(); cfg["save"] != "" {
		t.Errorf("save = %q, want persistence off", cfg["save"])
	}
	before := runID(t, c)

	r.Restart()
	if err := c.Get(ctx, "k").Err(); err == nil {
		// The first command may hit the dead connection; the next one must
		// reach the new, empty server.
		t.Fatal("key survived a restart")
	}
	if err := c.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET after restart: %v, want redis.Nil (empty server)", err)
	}
	if after := runID(t, c); after == before {
		t.Fatalf("run_id %s unchanged by a restart", after)
	}
}

func TestRedisKillRefusesConnections(t *testing.T) {
	r := StartRealRedis(t)
	r.Kill()
	conn, err := net.DialTimeout("tcp", r.Addr(), time.Second)
	if err == nil {
		conn.Close()
		t.Fatal("a killed server still accepts connections")
	}
	r.Restart()
	if err := r.Client().Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
}

func TestRedisPauseHangsAndResumeAnswers(t *testing.T) {
	r := StartRealRedis(t)
	c := r.Client()
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	r.Pause()
	hung := redis.NewClient(&redis.Options{Addr: r.Addr(), ReadTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer hung.Close()
	err := hung.Ping(ctx).Err()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("PING on a paused server: %v, want a timeout", err)
	}
	r.Resume()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}
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
		t.Fatal("a server paused at the end of its test was not stopped")
	}
}

func TestFlushTouchesOnlyItsPrefix(t *testing.T) {
	r := StartRedis(t)
	ctx := context.Background()
	c := r.Client()
	mine, other := Prefix(t), Prefix(t)
	if mine == other {
		t.Fatalf("Prefix returned %q twice", mine)
	}
	for _, k := range []string{mine + "a", mine + "b", mine + "*", other + "a", "plain"} {
		if err := c.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.Flush(mine); n != 3 {
		t.Errorf("Flush deleted %d keys, want 3", n)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys left %v, want %sa and plain", keys, other)
	}
}

func TestPrefixIsGlobAndTagFree(t *testing.T) {
	p := Prefix(t)
	if strings.ContainsAny(p, `*?[]\{}`) {
		t.Fatalf("Prefix %q holds glob or hash-tag characters", p)
	}
}

func TestSentinelFailsOverToTheReplica(t *testing.T) {
	master := StartRealRedis(t)
	replica := StartReplica(t, master)
	s := StartSentinel(t, "m", master)
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr()})
	defer sc.Close()
	ctx := context.Background()
	if addr := sc.GetMasterAddrByName(ctx, "m").Val(); len(addr) != 2 || addr[1] != strings.Split(master.Addr(), ":")[1] {
		t.Fatalf("Sentinel reports master %v, want %s", addr, master.Addr())
	}
	WaitFor(t, "Sentinel to discover the replica", func() bool {
		replicas, err := sc.Replicas(ctx, "m").Result()
		return err == nil && len(replicas) == 1 && !strings.Contains(replicas[0]["flags"], "disconnected")
	})
	if err := sc.Failover(ctx, "m").Err(); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the replica to be promoted", func() bool {
		addr := sc.GetMasterAddrByName(ctx, "m").Val()
		return len(addr) == 2 && "127.0.0.1:"+addr[1] == replica.Addr()
	})
}
