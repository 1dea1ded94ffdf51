package redis_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// budget is the cache's default per-request budget. Tests only check
// that calls end well within a second: durations belong in benchmarks.
const budget = 50 * time.Millisecond

// lookupWithin runs a Lookup under the budget and fails the test if it
// takes anywhere near a second.
func lookupWithin(t *testing.T, b backend.Backend, key string, names ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	start := time.Now()
	_, err := b.Lookup(ctx, key, backend.Tokens{Names: names, Values: make([]backend.Token, len(names))})
	d := time.Since(start)
	require.LessOrEqual(t, d, time.Second, "Lookup took %v with a %v budget", d, budget)
	return err
}

// failUntilOpen makes calls until the breaker opens, checking that each
// fails, and returns how many it took.
func failUntilOpen(t *testing.T, r *redis.Redis, key string, names ...string) int {
	t.Helper()
	for n := 1; n <= 20; n++ {
		err := lookupWithin(t, r, key, names...)
		require.Error(t, err, "call %d on a failing Redis", n)
		require.NotErrorIs(t, err, backend.ErrNotFound, "call %d on a failing Redis", n)
		if r.BreakerState() == backend.BreakerOpen {
			return n
		}
	}
	t.Fatalf("breaker still %s after 20 failed calls", r.BreakerState())
	return 0
}

// faultBackend opens a backend with a breaker driven by clock.
func faultBackend(t *testing.T, srv *testutil.Redis, clock *testutil.Clock, log *slog.Logger) *redis.Redis {
	t.Helper()
	opts := redis.Options{BreakerThreshold: 3, BreakerCooldown: time.Second, Logger: log, Now: clock.Now}
	return newTestRedis(t, srv.URL(), opts)
}

func TestRedisKilledThenBack(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	clock := testutil.NewClock()
	r := faultBackend(t, srv, clock, quiet)
	fillEntry(t, r, "k", time.Minute, itemNames...)
	require.NoError(t, lookupWithin(t, r, "k", itemNames...), "hit before the fault")
	epoch := r.Epoch()

	srv.Kill()
	failUntilOpen(t, r, "k", itemNames...)
	require.ErrorIs(t, lookupWithin(t, r, "k", itemNames...), redis.ErrBreakerOpen, "Lookup with the breaker open")
	for _, err := range []error{
		r.Store(context.Background(), "k", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: make([]backend.Token, len(itemNames))}),
		r.Renew(context.Background(), itemNames, time.Minute),
	} {
		require.ErrorIs(t, err, redis.ErrBreakerOpen, "write with the breaker open")
	}

	srv.Restart()
	require.ErrorIs(t, lookupWithin(t, r, "k", itemNames...), redis.ErrBreakerOpen, "Lookup before the cooldown ended")
	// The probe reaches the restarted, empty server: a miss, and the
	// breaker closes by itself. On a loaded machine a probe can pass the
	// budget (a new connection to dial first): the next one is tried after
	// the cooldown.
	var err error
	testutil.WaitFor(t, "a probe to answer after the restart", func() bool {
		clock.Advance(time.Second)
		err = lookupWithin(t, r, "k", itemNames...)
		return !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, redis.ErrBreakerOpen)
	})
	require.ErrorIs(t, err, backend.ErrNotFound, "Lookup after the cooldown")
	s := r.BreakerState()
	require.Equal(t, backend.BreakerClosed, s, "breaker %s after a successful probe", s)
	require.NotEqual(t, epoch, r.Epoch(), "Epoch unchanged although Redis came back after failures")
	// The run_id watcher can notice the restart after the probe did and
	// renew the epoch once more, leaving a fill made in between a miss: on
	// a loaded machine it does. Fill until a fill is served.
	ctx := context.Background()
	testutil.WaitFor(t, "caching to resume", func() bool {
		tok := backend.Tokens{Names: itemNames, Values: make([]backend.Token, len(itemNames))}
		if _, err := r.Lookup(ctx, "k", tok); err == nil {
			return true
		}
		_ = r.Store(ctx, "k", testEntry("body of k"), time.Minute, tok)
		return lookupWithin(t, r, "k", itemNames...) == nil
	})
}

func TestRedisHungThenResumed(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	clock := testutil.NewClock()
	r := faultBackend(t, srv, clock, quiet)
	fillEntry(t, r, "k", time.Minute, itemNames...)
	epoch := r.Epoch()

	srv.Pause()
	failUntilOpen(t, r, "k", itemNames...)
	start := time.Now()
	for range 100 {
		err := lookupWithin(t, r, "k", itemNames...)
		require.ErrorIs(t, err, redis.ErrBreakerOpen, "Lookup with the breaker open")
	}
	d := time.Since(start)
	require.LessOrEqual(t, d, time.Second, "100 calls with the breaker open took %v; they should not wait for Redis", d)
	clock.Advance(time.Second)
	// Still hung: the probe fails and the breaker opens again.
	err := lookupWithin(t, r, "k", itemNames...)
	require.Error(t, err, "probe on a hung Redis: want a timeout")
	require.NotErrorIs(t, err, redis.ErrBreakerOpen, "probe on a hung Redis: want a timeout")
	s := r.BreakerState()
	require.Equal(t, backend.BreakerOpen, s, "breaker %s after a failed probe", s)

	srv.Resume()
	// The probe that closes the breaker changes the epoch: it returns no
	// entry, whatever Redis holds (the cache renews its epoch first). On a
	// loaded machine a probe can pass the budget (the resumed server first
	// answers what was sent while it was frozen): it then fails as on a
	// hung Redis, and the next one is tried after the cooldown.
	// (A failed probe's renewal may still land, in the background, after
	// the probe returned: then nothing is left to renew and the next probe
	// may hit. So only a first probe that answers must return no entry;
	// the epoch change is asserted below in every case.)
	failedBefore := false
	testutil.WaitFor(t, "a probe to answer after Redis resumed", func() bool {
		clock.Advance(time.Second)
		err = lookupWithin(t, r, "k", itemNames...)
		if err == nil || errors.Is(err, backend.ErrNotFound) {
			return true
		}
		failedBefore = true
		return false
	})
	if err != nil || !failedBefore {
		require.ErrorIs(t, err, backend.ErrNotFound, "the probe after Redis resumed")
	}
	s = r.BreakerState()
	require.Equal(t, backend.BreakerClosed, s, "breaker %s after Redis resumed", s)
	require.NotEqual(t, epoch, r.Epoch(), "Epoch unchanged although Redis came back after failures")
	// Again, a call past the budget on a loaded machine is tried again.
	testutil.WaitFor(t, "a Lookup after the probe", func() bool {
		clock.Advance(time.Second)
		err = lookupWithin(t, r, "k", itemNames...)
		return !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, redis.ErrBreakerOpen)
	})
	require.NoError(t, err, "Lookup after the probe: want the entry (nothing was lost)")
}

// A restart that the breaker never noticed (too quick to fail enough
// calls) still changes the epoch: the run_id check sees a new server.
func TestRedisRestartChangesEpochByRunID(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	var logs testutil.SyncBuffer
	r := newTestRedis(t, srv.URL(), redis.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	ctx := context.Background()
	require.NoError(t, r.Ping(ctx))
	r.CheckRunIDs(ctx)
	require.Len(t, r.KnownRunIDs(), 1, "run_ids after a check")
	epoch := r.Epoch()
	srv.Restart()
	// No explicit check from here: the new connection prompts the watcher.
	testutil.WaitFor(t, "Epoch to change after a restart", func() bool {
		if r.Epoch() != epoch {
			return true
		}
		_ = lookupWithin(t, r, "k", itemNames...)
		return false
	})
	require.Equal(t, backend.BreakerClosed, r.BreakerState(), "breaker %s; this test wants a restart the breaker did not see", r.BreakerState())
	require.Contains(t, logs.String(), "run_id changed", "the epoch changed, but not for the run_id")
}

// A client passed in gets the breaker as a hook; Close leaves the client
// working and the hook inert.
func TestRedisClientHookBreaker(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1})
	defer client.Close()
	clock := testutil.NewClock()
	opts := redis.Options{BreakerThreshold: 2, Logger: quiet, Now: clock.Now}
	r, err := redis.FromClient(context.Background(), client, opts)
	require.NoError(t, err)
	assert.Equal(t, "redis", r.Kind(), "Kind()")
	fillEntry(t, r, "k", time.Minute, itemNames...)
	srv.Kill()
	failUntilOpen(t, r, "k", itemNames...)
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	err = client.Ping(ctx).Err()
	require.ErrorIs(t, err, redis.ErrBreakerOpen, "the caller's own command with the breaker open")
	r.Close()
	srv.Restart()
	err = client.Ping(context.Background()).Err()
	require.NoError(t, err, "the client after the backend closed: the hook should let everything through")
}

func TestRedisClosed(t *testing.T) {
	srv := testutil.StartRedis(t)
	r, err := redis.New(srv.URL(), redis.Options{Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "second Close")
	err = r.Ping(context.Background())
	require.ErrorIs(t, err, backend.ErrClosed, "Ping after Close")
}

// Close stops every goroutine the backend started, the run_id watcher and
// the client's, even with Redis hung.
func TestRedisCloseStopsGoroutines(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	srv.Client() // the test's own client, closed at cleanup, is not the backend's
	before := goleak.IgnoreCurrent()
	r, err := redis.New(srv.URL(), redis.Options{CheckInterval: time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	fillEntry(t, r, "k", time.Minute, itemNames...)
	srv.Pause()
	_ = lookupWithin(t, r, "k", itemNames...)
	require.NoError(t, r.Close())
	srv.Resume()
	goleak.VerifyNone(t, before)
}

// A restart leaves the pool's connection closed by the server. With
// PeekConnections, go-redis's check finds it when a call takes it and the
// call goes out on a new one. By default nothing looks before a call uses
// it: the call fails on it, and is retried on a new one when MaxRetries
// allows (the default, one retry); without a retry the call fails and the
// next one succeeds. So a restart costs at most a retry per connection
// the pool held, which is what skipping the check trades for a system
// call fewer per command.
func TestRedisRestartWithAndWithoutPeeking(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       redis.Options
		firstFails bool
	}{
		{"peeking, no retry", redis.Options{PeekConnections: true, MaxRetries: -1}, false},
		{"not peeking, no retry", redis.Options{MaxRetries: -1}, true},
		{"not peeking, one retry", redis.Options{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.StartRealRedis(t)
			// One connection, and no periodic run_id check to take it
			// between the restart and the call.
			tc.opts.MaxConnections, tc.opts.CheckInterval = 1, time.Hour
			r := newTestRedis(t, srv.URL(), tc.opts)
			ctx := context.Background()
			require.NoError(t, r.Ping(ctx), "before the restart")
			// The run_id check a new connection sets off has taken the
			// connection and put it back.
			testutil.WaitFor(t, "the run_id check after the dial", func() bool {
				st := r.Client().PoolStats()
				return st.Hits >= 1 && st.IdleConns == 1
			})
			require.Equal(t, uint32(1), r.Client().PoolStats().TotalConns, "pooled connections")

			srv.Kill()
			srv.Restart()
			err := r.Ping(ctx)
			if tc.firstFails {
				require.Error(t, err, "the first call after the restart, on the closed connection")
			} else {
				require.NoError(t, err, "the first call after the restart")
			}
			require.NoError(t, r.Ping(ctx), "the next call")
		})
	}
}

// The clients New and NewCluster build do not let go-redis peek at their
// plain connections, unless PeekConnections, and replace idle ones after
// a minute unless the URL says otherwise.
func TestRedisClientsDoNotPeek(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	url := "redis://" + l.Addr().String()
	peeked := func(dial func(context.Context, string, string) (net.Conn, error)) bool {
		t.Helper()
		if dial == nil {
			return true // go-redis's own dialer: plain TCP, peeked at
		}
		c, err := dial(context.Background(), "tcp", l.Addr().String())
		require.NoError(t, err, "dial")
		defer c.Close()
		_, ok := c.(syscall.Conn)
		return ok
	}
	for _, tc := range []struct {
		name    string
		url     string
		opts    redis.Options
		peeked  bool
		maxIdle time.Duration
	}{
		{"default", url, redis.Options{}, false, time.Minute},
		{"the URL's idle time", url + "?conn_max_idle_time=5m", redis.Options{}, false, 5 * time.Minute},
		{"PeekConnections", url, redis.Options{PeekConnections: true}, true, 30 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRedis(t, tc.url, tc.opts)
			o := r.Client().(*goredis.Client).Options()
			assert.Equal(t, tc.peeked, peeked(o.Dialer), "connections peeked at")
			assert.Equal(t, tc.maxIdle, o.ConnMaxIdleTime, "ConnMaxIdleTime")
		})
	}
	c, err := redis.NewCluster([]string{l.Addr().String()}, redis.Options{Logger: quiet})
	require.NoError(t, err)
	defer c.Close()
	o := c.Client().(*goredis.ClusterClient).Options()
	assert.False(t, peeked(o.Dialer), "cluster connections peeked at")
	assert.Equal(t, time.Minute, o.ConnMaxIdleTime, "cluster ConnMaxIdleTime")
}
