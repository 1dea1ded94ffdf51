package redis_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// A Store encodes its entry into a pooled buffer, which go-redis has
// written to the connection when the call returns: storing a 256 KiB body
// allocates less than the body. Each Store used to allocate two
// copies of it, the encoding and, inside that, a string conversion of the
// body. The entries stay whole: each reads back with its own body, and
// the conformance suite's concurrent fills store distinct bodies at once
// through the same pool.
func TestRedisStoreEncodesIntoAPooledBuffer(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), unhurried)
	ctx := context.Background()
	const n, size = 40, 256 << 10
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("%03d", i) + strings.Repeat("x", size-3)
	}
	entries := make([]*backend.Entry, n)
	for i := range entries {
		entries[i] = testEntry(bodies[i])
	}
	store := func(i int) { // a fill: Lookup, then Store
		key, vals := fmt.Sprintf("k%d", i), make([]backend.Token, len(itemNames))
		_, err := r.Lookup(ctx, key, backend.Tokens{Names: itemNames, Values: vals})
		require.ErrorIs(t, err, backend.ErrNotFound)
		require.NoError(t, r.Store(ctx, key, entries[i], time.Minute, backend.Tokens{Names: itemNames, Values: vals}))
	}
	store(0) // loads the script and fills the pool
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 1; i < n; i++ {
		store(i)
	}
	runtime.ReadMemStats(&after)
	// Bounded at one body, not near zero: the race detector drops a
	// quarter of what goes back to a sync.Pool, and a GC empties it (about
	// 70 KB per fill under -race, 10 KB without; 530 KB before the pool).
	perStore := (after.TotalAlloc - before.TotalAlloc) / (n - 1)
	t.Logf("%d bytes allocated per fill", perStore)
	if srv.Real() {
		require.Less(t, perStore, uint64(size), "bytes allocated per fill of a %d-byte body", size)
	} else {
		// miniredis runs in this process and copies every value it is
		// sent: the bound holds the client alone to account, so it is
		// checked against a real server (CI requires one).
		t.Log("on miniredis: the allocation bound is not checked")
	}
	for i := range n {
		e, err := r.Lookup(ctx, fmt.Sprintf("k%d", i), backend.Tokens{Names: itemNames, Values: make([]backend.Token, len(itemNames))})
		require.NoError(t, err, "entry %d", i)
		require.Equal(t, bodies[i], string(e.Body), "entry %d's body", i)
	}
}
