package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// A write's invalidation is tried past an open breaker (WithoutBreaker):
// it reaches Redis as soon as Redis answers, while the breaker, left
// alone, still spares the other calls until its cooldown ends.
func TestRedisRenewWithoutBreakerGetsPastAnOpenBreaker(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	clock := testutil.NewClock()
	prefix := "bypass"
	r := newTestRedis(t, srv.URL(), redis.Options{KeyPrefix: prefix, BreakerThreshold: 3, BreakerCooldown: time.Second, Logger: quiet, Now: clock.Now})
	fillEntry(t, r, "k", time.Minute, itemNames...)

	renew := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		return r.Renew(ctx, itemNames[4:], time.Minute)
	}
	srv.Kill()
	failUntilOpen(t, r, "k", itemNames...)
	require.ErrorIs(t, renew(context.Background()), redis.ErrBreakerOpen, "a plain call with the breaker open")
	clock.Advance(600 * time.Millisecond)
	err := renew(backend.WithoutBreaker(context.Background()))
	require.Error(t, err, "Redis is down")
	assert.NotErrorIs(t, err, redis.ErrBreakerOpen, "the marked call was skipped")
	assert.Equal(t, backend.BreakerOpen, r.BreakerState())

	srv.Restart()
	require.NoError(t, renew(backend.WithoutBreaker(context.Background())), "the marked call once Redis answers")
	n, err := srv.Client().Exists(context.Background(), prefix+":t:"+itemNames[4]).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the renewed token is in Redis")
	// Neither the marked failure nor the marked success touched the
	// breaker: still open, and its cooldown runs from when it opened, not
	// from the marked failure 600ms later.
	assert.Equal(t, backend.BreakerOpen, r.BreakerState())
	assert.ErrorIs(t, lookupWithin(t, r, "k", itemNames...), redis.ErrBreakerOpen)
	clock.Advance(400 * time.Millisecond)
	// The run_id watcher, nudged by the marked call's new connection, may
	// be probing too: wait for a probe of ours to get through.
	testutil.WaitFor(t, "a probe once the cooldown has ended", func() bool {
		return !errors.Is(lookupWithin(t, r, "k", itemNames...), redis.ErrBreakerOpen)
	})
	testutil.WaitFor(t, "the breaker to close", func() bool { return r.BreakerState() == backend.BreakerClosed })
}

// While the breaker is closed, a marked call counts as any other: a write
// failing against a dead Redis helps open it.
func TestRedisRenewWithoutBreakerCountsWhileClosed(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{BreakerThreshold: 1, Logger: quiet, Now: testutil.NewClock().Now})
	fillEntry(t, r, "k", time.Minute, itemNames...)
	srv.Kill()
	ctx, cancel := context.WithTimeout(backend.WithoutBreaker(context.Background()), budget)
	defer cancel()
	require.Error(t, r.Renew(ctx, itemNames, time.Minute))
	assert.Equal(t, backend.BreakerOpen, r.BreakerState())
}
