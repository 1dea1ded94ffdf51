package near_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// slowDelta is the lease of tests that count near hits: long enough that
// a loaded machine's late probe does not send a hit to Redis.
const slowDelta = 500 * time.Millisecond

// Two instances on one Redis, near caches on: hits come from the process,
// a write through one is never followed by the other's old copy, ETags
// and 304 work on near hits, and the admin's delete and clear reach the
// other instance's near cache.
func TestNearTwoInstances(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	store := quickstart.NewStore()
	src := newRedis(t, srv.URL())
	a := newInstance(t, src, store, slowDelta)
	b := newInstance(t, src, store, slowDelta)

	for _, path := range []string{"/spaces/4", "/spaces", "/spaces/6", "/items"} {
		b.warm(t, path)
		b.nearHit(t, path)
	}
	a.warm(t, "/spaces/4")

	// ETag and 304 from the near cache.
	got := b.nearHit(t, "/spaces/4")
	require.NotEmpty(t, got.etag)
	before := b.nearHits()
	nm := b.do(t, "GET", "/spaces/4", "", "If-None-Match", got.etag)
	assert.Equal(t, 304, nm.status)
	assert.Equal(t, before+1, b.nearHits())

	w := a.do(t, "PATCH", "/spaces/4", `{"name":"shed"}`)
	require.Equal(t, 200, w.status)
	got = b.do(t, "GET", "/spaces/4", "")
	assert.Equal(t, "MISS", got.xcache)
	assert.Equal(t, w.version, got.version, "B served version %d after A's write of %d", got.version, w.version)
	assert.Equal(t, "MISS", b.do(t, "GET", "/spaces", "").xcache, "the list above the space")
	b.nearHit(t, "/spaces/6")
	b.nearHit(t, "/items")

	// The admin's delete through A: B's copy goes too.
	b.warm(t, "/spaces/6")
	page, err := a.cache.Service().Keys(context.Background(), "*/spaces/6*", "", 0)
	require.NoError(t, err)
	require.Len(t, page.Keys, 1, "the key of /spaces/6")
	ok, err := a.cache.Service().Delete(context.Background(), page.Keys[0].Key)
	require.NoError(t, err)
	require.True(t, ok, "the key of /spaces/6")
	testutil.WaitFor(t, "B to drop its copy of /spaces/6", func() bool { return b.near.Stats().Entries <= 2 })
	assert.Equal(t, "MISS", b.do(t, "GET", "/spaces/6", "").xcache)

	// And clear.
	b.warm(t, "/items")
	_, err = a.cache.Service().Clear(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "MISS", b.do(t, "GET", "/items", "").xcache)
	near := b.cache.Service().Stats().NearHits
	assert.Equal(t, near, b.nearHits())
}

// Commit-wait: a write returns Delta after its renewal, so that an
// instance whose channel stalled has lost its lease by the time the
// client holds the 2xx. B's channel is frozen just before A's write; with
// Delta = 2s, B's read comes well within 2s of its last probe unless the
// write waited: without the wait B serves its near copy.
func TestNearCommitWait(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	store := quickstart.NewStore()
	src := newRedis(t, srv.URL())
	a := newInstance(t, src, store, 2*time.Second)
	b := newInstance(t, src, store, 2*time.Second)
	old := b.warm(t, "/spaces/4")

	b.gate.freeze()
	w := a.do(t, "PATCH", "/spaces/4", `{"name":"after"}`)
	require.Equal(t, 200, w.status)
	got := b.do(t, "GET", "/spaces/4", "")
	assert.Equal(t, w.version, got.version, "B served version %d (was %d) after the 2xx of version %d", got.version, old.version, w.version)
	assert.Equal(t, "after", got.name)
}

// The lease: an instance whose channel is frozen stops serving near hits
// once its last answered probe is Delta old, and reads Redis instead. A
// writes while B's channel is frozen; B must not serve its copy.
func TestNearLease(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	store := quickstart.NewStore()
	src := newRedis(t, srv.URL())
	a := newInstance(t, src, store, 20*time.Millisecond)
	b := newInstance(t, src, store, 20*time.Millisecond)
	b.warm(t, "/spaces/4")

	b.gate.freeze()
	w := a.do(t, "PATCH", "/spaces/4", `{"name":"after"}`)
	require.Equal(t, 200, w.status)
	got := b.do(t, "GET", "/spaces/4", "")
	assert.Equal(t, w.version, got.version, "B served its near copy through a frozen channel")
	assert.Equal(t, "MISS", got.xcache)
	assert.False(t, b.near.Stats().Leased)

	// Thawed, the invalidation arrives in order before the next probe's
	// reply, and near hits resume.
	b.gate.thaw()
	b.warm(t, "/spaces/4")
	assert.Equal(t, w.version, b.nearHit(t, "/spaces/4").version)
}

// A channel that reconnects drops every near entry: invalidations may
// have been missed while it was down.
func TestNearReconnectDropsEverything(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	store := quickstart.NewStore()
	src := newRedis(t, srv.URL())
	b := newInstance(t, src, store, slowDelta)
	b.warm(t, "/spaces/4")
	require.Positive(t, b.near.Stats().Entries)

	ctx := context.Background()
	n, err := srv.Client().ClientKillByFilter(ctx, "TYPE", "normal", "SKIPME", "yes").Result()
	require.NoError(t, err)
	require.Positive(t, n)
	testutil.WaitFor(t, "the channel to reconnect", func() bool { return b.near.Stats().Reconnects > 0 })
	assert.Zero(t, b.near.Stats().Entries)
	b.warm(t, "/spaces/4")
}
