package redis_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	goredis "github.com/redis/go-redis/v9"
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
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Lookup took %v with a %v budget", d, budget)
	}
	return err
}

// failUntilOpen makes calls until the breaker opens, checking that each
// fails, and returns how many it took.
func failUntilOpen(t *testing.T, r *redis.Redis, key string, names ...string) int {
	t.Helper()
	for n := 1; n <= 20; n++ {
		err := lookupWithin(t, r, key, names...)
		if err == nil || errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("call %d on a failing Redis: %v, want an error", n, err)
		}
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
	if err := lookupWithin(t, r, "k", itemNames...); err != nil {
		t.Fatalf("hit before the fault: %v", err)
	}
	epoch := r.Epoch()

	srv.Kill()
	failUntilOpen(t, r, "k", itemNames...)
	if err := lookupWithin(t, r, "k", itemNames...); !errors.Is(err, redis.ErrBreakerOpen) {
		t.Fatalf("Lookup with the breaker open: %v, want ErrBreakerOpen", err)
	}
	for _, err := range []error{
		r.Store(context.Background(), "k", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: make([]backend.Token, len(itemNames))}),
		r.Renew(context.Background(), itemNames, time.Minute),
	} {
		if !errors.Is(err, redis.ErrBreakerOpen) {
			t.Fatalf("write with the breaker open: %v, want ErrBreakerOpen", err)
		}
	}

	srv.Restart()
	if err := lookupWithin(t, r, "k", itemNames...); !errors.Is(err, redis.ErrBreakerOpen) {
		t.Fatalf("Lookup before the cooldown ended: %v, want ErrBreakerOpen", err)
	}
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
	if !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Lookup after the cooldown: %v, want ErrNotFound from the empty server", err)
	}
	if s := r.BreakerState(); s != backend.BreakerClosed {
		t.Fatalf("breaker %s after a successful probe, want closed", s)
	}
	if r.Epoch() == epoch {
		t.Fatal("Epoch unchanged although Redis came back after failures")
	}
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
		if err := lookupWithin(t, r, "k", itemNames...); !errors.Is(err, redis.ErrBreakerOpen) {
			t.Fatalf("Lookup with the breaker open: %v, want ErrBreakerOpen", err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("100 calls with the breaker open took %v; they should not wait for Redis", d)
	}
	clock.Advance(time.Second)
	// Still hung: the probe fails and the breaker opens again.
	if err := lookupWithin(t, r, "k", itemNames...); err == nil || errors.Is(err, redis.ErrBreakerOpen) {
		t.Fatalf("probe on a hung Redis: %v, want a timeout", err)
	}
	if s := r.BreakerState(); s != backend.BreakerOpen {
		t.Fatalf("breaker %s after a failed probe, want open", s)
	}

	srv.Resume()
	// The probe that closes the breaker changes the epoch: it returns no
	// entry, whatever Redis holds (the cache renews its epoch first). On a
	// loaded machine a probe can pass the budget (the resumed server first
	// answers what was sent while it was frozen): it then fails as on a
	// hung Redis, and the next one is tried after the cooldown.
	// (A failed probe whose renewal landed leaves nothing to renew: the
	// next one may hit.)
	var err error
	renewedBefore := false
	testutil.WaitFor(t, "a probe to answer after Redis resumed", func() bool {
		clock.Advance(time.Second)
		err = lookupWithin(t, r, "k", itemNames...)
		if err == nil || errors.Is(err, backend.ErrNotFound) {
			return true
		}
		renewedBefore = r.Epoch() != epoch
		return false
	})
	if !errors.Is(err, backend.ErrNotFound) && !(err == nil && renewedBefore) {
		t.Fatalf("the probe after Redis resumed: %v, want ErrNotFound", err)
	}
	if s := r.BreakerState(); s != backend.BreakerClosed {
		t.Fatalf("breaker %s after Redis resumed, want closed", s)
	}
	if r.Epoch() == epoch {
		t.Fatal("Epoch unchanged although Redis came back after failures")
	}
	// Again, a call past the budget on a loaded machine is tried again.
	testutil.WaitFor(t, "a Lookup after the probe", func() bool {
		clock.Advance(time.Second)
		err = lookupWithin(t, r, "k", itemNames...)
		return !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, redis.ErrBreakerOpen)
	})
	if err != nil {
		t.Fatalf("Lookup after the probe: %v, want the entry (nothing was lost)", err)
	}
}

// A restart that the breaker never noticed (too quick to fail enough
// calls) still changes the epoch: the run_id check sees a new server.
func TestRedisRestartChangesEpochByRunID(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	var logs testutil.SyncBuffer
	r := newTestRedis(t, srv.URL(), redis.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	r.CheckRunIDs(ctx)
	if len(r.KnownRunIDs()) != 1 {
		t.Fatalf("run_ids after a check: %v, want the master's", r.KnownRunIDs())
	}
	epoch := r.Epoch()
	srv.Restart()
	// No explicit check from here: the new connection prompts the watcher.
	deadline := time.Now().Add(5 * time.Second)
	for r.Epoch() == epoch {
		if time.Now().After(deadline) {
			t.Fatalf("Epoch unchanged 5s after a restart; logs:\n%s", logs.String())
		}
		_ = lookupWithin(t, r, "k", itemNames...)
		time.Sleep(10 * time.Millisecond)
	}
	if r.BreakerState() != backend.BreakerClosed {
		t.Fatalf("breaker %s; this test wants a restart the breaker did not see", r.BreakerState())
	}
	if !strings.Contains(logs.String(), "run_id changed") {
		t.Fatalf("the epoch changed, but not for the run_id; logs:\n%s", logs.String())
	}
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
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != "redis" {
		t.Errorf("Kind() = %q", r.Kind())
	}
	fillEntry(t, r, "k", time.Minute, itemNames...)
	srv.Kill()
	failUntilOpen(t, r, "k", itemNames...)
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	if err := client.Ping(ctx).Err(); !errors.Is(err, redis.ErrBreakerOpen) {
		t.Fatalf("the caller's own command with the breaker open: %v, want ErrBreakerOpen", err)
	}
	r.Close()
	srv.Restart()
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("the client after the backend closed: %v; the hook should let everything through", err)
	}
}

func TestRedisClosed(t *testing.T) {
	srv := testutil.StartRedis(t)
	r, err := redis.New(srv.URL(), redis.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := r.Ping(context.Background()); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Ping after Close: %v", err)
	}
}

// Close stops every goroutine the backend started, the run_id watcher and
// the client's, even with Redis hung.
func TestRedisCloseStopsGoroutines(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	srv.Client() // the test's own client, closed at cleanup, is not the backend's
	before := goleak.IgnoreCurrent()
	r, err := redis.New(srv.URL(), redis.Options{CheckInterval: time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	fillEntry(t, r, "k", time.Minute, itemNames...)
	srv.Pause()
	_ = lookupWithin(t, r, "k", itemNames...)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	srv.Resume()
	goleak.VerifyNone(t, before)
}
