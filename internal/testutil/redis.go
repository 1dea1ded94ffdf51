package testutil

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/intelligentcache/gin-intelligent-cache/internal/redisserver"
)

// Redis is one throwaway Redis server for one test: a real redis-server,
// or miniredis when StartRedis had to fall back. Its methods must be
// called from the test's goroutine (they fail the test on error).
type Redis struct {
	t    testing.TB
	bin  string // redis-server path; "" when running on miniredis
	port int

	mu     sync.Mutex
	srv    *redisserver.Server  // nil on miniredis
	mini   *miniredis.Miniredis // the fallback, nil on a real server
	client *redis.Client
}

// StartRedis starts a redis-server for the test and stops it at cleanup.
// Without the binary it falls back to miniredis, unless
// GINCACHE_REQUIRE_REDIS is set, which fails the test.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin := serverBinary(t)
	if bin == "" {
		return startMini(t)
	}
	return startReal(t, bin)
}

// StartRealRedis is StartRedis for tests that need a real server (fault
// tests: kill, SIGSTOP, restart; INFO server): without the binary it skips
// the test, or fails it under GINCACHE_REQUIRE_REDIS.
func StartRealRedis(t testing.TB) *Redis {
	t.Helper()
	return startReal(t, RealServerBinary(t, "test that needs a real redis-server"))
}

func startReal(t testing.TB, bin string, args ...string) *Redis {
	t.Helper()
	srv, err := redisserver.Start(redisserver.Options{Binary: bin, Dir: t.TempDir(), Args: args})
	if err != nil {
		t.Fatal(err)
	}
	r := &Redis{t: t, bin: bin, port: srv.Port(), srv: srv}
	t.Cleanup(r.stop)
	return r
}

func startMini(t testing.TB) *Redis {
	t.Helper()
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		t.Fatalf("testutil: starting miniredis: %v", err)
	}
	_, port, _ := net.SplitHostPort(m.Addr())
	r := &Redis{t: t, mini: m}
	r.port, _ = strconv.Atoi(port)
	t.Logf("testutil: redis-server not found, running on miniredis at %s", m.Addr())
	t.Cleanup(r.stop)
	return r
}

func (r *Redis) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		_ = r.client.Close()
		r.client = nil
	}
	if r.srv != nil {
		r.srv.Close()
	}
	if r.mini != nil {
		r.mini.Close()
	}
}

// Real reports whether this is a real redis-server (false on miniredis).
func (r *Redis) Real() bool { return r.bin != "" }

// Addr is the server's host:port on loopback.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// URL is the server's redis:// URL (database 0).
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// Client returns a go-redis client for the server, made once and closed at
// cleanup, for tests to look at or arrange what the code under test sees.
func (r *Redis) Client() *redis.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		r.client = redis.NewClient(&redis.Options{
			Addr:        r.Addr(),
			DialTimeout: time.Second,
			ReadTimeout: 2 * time.Second,
			MaxRetries:  -1,
		})
	}
	return r.client
}

// Kill ends the server abruptly (SIGKILL): connections reset, new ones are
// refused. Restart brings it back.
func (r *Redis) Kill() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mini != nil {
		r.mini.Close()
		return
	}
	r.srv.Kill()
}

// Pause freezes the server with SIGSTOP: it accepts connections (the
// kernel does) but answers nothing, like a hung Redis. Resume undoes it;
// cleanup resumes a paused server before stopping it. Needs a real server.
func (r *Redis) Pause() {
	r.t.Helper()
	r.signal(true)
}

// Resume continues a server frozen by Pause (SIGCONT).
func (r *Redis) Resume() {
	r.t.Helper()
	r.signal(false)
}

func (r *Redis) signal(pause bool) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mini != nil {
		r.t.Fatal("testutil: Pause and Resume need a real redis-server (use StartRealRedis)")
	}
	var err error
	if pause {
		err = r.srv.Pause()
	} else {
		err = r.srv.Resume()
	}
	if err != nil {
		r.t.Fatal(err)
	}
}

// Restart stops the server if it runs and starts an empty one on the same
// port (nothing is persisted): a crash and restart, with a new run_id.
func (r *Redis) Restart() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mini != nil {
		r.mini.Close()
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr(r.Addr()); err != nil {
			r.t.Fatalf("testutil: restarting miniredis: %v", err)
		}
		r.mini = m
		return
	}
	if err := r.srv.Restart(); err != nil {
		r.t.Fatal(err)
	}
}

// Flush deletes every key that starts with prefix and returns how many it
// deleted, leaving other keys alone: for tests that share a server.
func (r *Redis) Flush(prefix string) int {
	r.t.Helper()
	n, err := flushNode(context.Background(), r.Client(), prefix)
	if err != nil {
		r.t.Fatalf("testutil: flushing %q: %v", prefix, err)
	}
	return n
}

// FillKeyspace writes n small keys, prefix followed by 0..n-1, with
// pipelined MSETs (50 batches of 1,000 a round trip): for benchmarks that
// need the keyspace that large.
func FillKeyspace(tb testing.TB, c *redis.Client, prefix string, n int) {
	tb.Helper()
	ctx := context.Background()
	const batch = 1000
	for done := 0; done < n; {
		pipe := c.Pipeline()
		for range 50 {
			if done >= n {
				break
			}
			args := make([]any, 0, 2*batch)
			for i := 0; i < batch && done < n; i++ {
				args = append(args, prefix+strconv.Itoa(done), "v")
				done++
			}
			pipe.MSet(ctx, args...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			tb.Fatalf("testutil: filling the keyspace with %d keys: %v", n, err)
		}
	}
}

// flushNode deletes the keys under prefix on one node, one key per UNLINK
// so that it works on a cluster node too (keys of different slots).
func flushNode(ctx context.Context, c *redis.Client, prefix string) (int, error) {
	n := 0
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, escapeGlob(prefix)+"*", 1000).Result()
		if err != nil {
			return n, err
		}
		if len(keys) > 0 {
			cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range keys {
					p.Unlink(ctx, k)
				}
				return nil
			})
			if err != nil {
				return n, err
			}
			for _, cmd := range cmds {
				n += int(cmd.(*redis.IntCmd).Val())
			}
		}
		if next == 0 {
			return n, nil
		}
		cursor = next
	}
}

// String describes the server, for test logs.
func (r *Redis) String() string {
	if r.mini != nil {
		return fmt.Sprintf("miniredis at %s", r.Addr())
	}
	return fmt.Sprintf("redis-server at %s", r.Addr())
}

// FastForward returns a function that moves the server's clock forward,
// expiring keys as time passing would: only miniredis has one, so it
// returns nil on a real server (tests then leave out checks that need it).
func (r *Redis) FastForward() func(time.Duration) {
	if r.Real() {
		return nil
	}
	return func(d time.Duration) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.mini.FastForward(d)
	}
}
