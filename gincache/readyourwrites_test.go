package gincache_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// Read your writes across instances through a frozen Redis (issue 15):
// two instances share one Redis; B has cached a space; Redis freezes; a
// write through A commits and A's invalidation times out; Redis resumes;
// the client, holding the write's 2xx, reads through B at once. B must
// not serve the space it cached before the write.
//
// A has never talked to Redis before the freeze, so its invalidation
// cannot even be sent (the new connection's handshake gets no answer),
// and its breaker opens at that first failure and stays open (A's clock
// never moves): nothing A does later in the background can land the
// renewal by chance before B reads. Before the fix, A answered the write
// once its budget ran out, and B served the old space as a HIT.
func TestReadYourWritesAcrossInstancesAfterAFreeze(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	store := quickstart.NewStore()
	a := newInstance(t, srv.URL(), store, testutil.NewClock(), redis.Options{BreakerThreshold: 1, CheckInterval: time.Hour})
	b := newInstance(t, srv.URL(), store, nil, redis.Options{})

	require.Equal(t, outcome{200, "MISS"}, b.do(t, "GET", "/spaces/4", "").outcome(), "B's first GET")
	before := b.do(t, "GET", "/spaces/4", "")
	require.Equal(t, outcome{200, "HIT"}, before.outcome(), "B's second GET")

	srv.Pause()
	written := make(chan reply, 1)
	go func() {
		r, err := a.send("PATCH", "/spaces/4", `{"name":"written during the freeze"}`)
		assert.NoError(t, err)
		written <- r
	}()
	testutil.WaitFor(t, "A's invalidation to fail", func() bool { return a.backend.BreakerState() == backend.BreakerOpen })
	sp, _ := store.Space("4")
	require.Equal(t, "written during the freeze", sp.Name, "the handler committed before its invalidation was tried")
	srv.Resume()

	w := <-written
	require.Equal(t, 200, w.status, "the write's answer")
	require.Equal(t, before.version+1, w.version)
	got := b.do(t, "GET", "/spaces/4", "")
	assert.Equal(t, 200, got.status)
	assert.Equal(t, w.version, got.version, "B served version %d (X-Cache %s) after the client got the 2xx of version %d", got.version, got.xcache, w.version)
	assert.Equal(t, "written during the freeze", got.name)
	assert.Equal(t, "MISS", got.xcache)
}
