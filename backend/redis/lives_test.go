package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// A store extends a present token only when the token might otherwise die
// before the entry: after the first extension, the backend knows the
// token (at its value) lives long enough for entries of up to half its
// new life, and sends no PEXPIRE for them; a longer entry, or a token a
// write renewed since, is extended again. Each step reads the token's
// TTL on the server.
func TestRedisStoreExtendsATokenOnlyWhenItMightDieFirst(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{KeyPrefix: "p"})
	ctx := context.Background()
	raw := srv.Client()
	names := []string{"gincache:t:{/}:S:/"}
	token := "p:t:" + names[0]
	pttl := func() time.Duration {
		t.Helper()
		d, err := raw.PTTL(ctx, token).Result()
		require.NoError(t, err, "PTTL %s", token)
		return d
	}

	// Present with a TTL shorter than the entries to come.
	require.NoError(t, r.Renew(ctx, names, 10*time.Second))
	fillEntry(t, r, "a", time.Minute, names...)
	got := pttl()
	require.Greater(t, got, time.Minute, "after a 1m entry: the token lives %v; it was not extended past its entry", got)
	require.LessOrEqual(t, got, 2*(time.Minute+time.Second), "after a 1m entry: the token lives %v, over twice what the entry needs", got)

	// Shorten it behind the backend's back: a store that extended it
	// again would raise it; one that knows it lives long enough does not.
	require.NoError(t, raw.PExpire(ctx, token, 70*time.Second).Err())
	fillEntry(t, r, "b", time.Minute, names...)
	got = pttl()
	require.LessOrEqual(t, got, 70*time.Second, "after a second 1m entry: the token lives %v; the store extended it, though it was known to live long enough", got)

	// A longer entry needs more than is known: extended.
	fillEntry(t, r, "c", 5*time.Minute, names...)
	got = pttl()
	require.Greater(t, got, 5*time.Minute, "after a 5m entry: the token lives %v, less than its entry", got)

	// Renewed by a write: what was known of the old value does not hold
	// for the new one.
	require.NoError(t, r.Renew(ctx, names, 10*time.Second))
	fillEntry(t, r, "d", time.Minute, names...)
	got = pttl()
	require.Greater(t, got, time.Minute, "after a renewal and a 1m entry: the token lives %v, less than its entry", got)
}
