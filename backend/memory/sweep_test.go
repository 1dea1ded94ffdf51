package memory

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// tokenCount reports how many token cells are held.
func (m *Memory) tokenCount() int {
	n := 0
	for i := range m.tokens {
		s := &m.tokens[i]
		s.mu.Lock()
		n += s.n
		s.mu.Unlock()
	}
	return n
}

func storeFor(t *testing.T, m *Memory, key, token string, ttl time.Duration) {
	t.Helper()
	tok := backend.Tokens{Names: []string{token}, Values: make([]backend.Token, 1)}
	require.NoError(t, m.Store(context.Background(), key, &backend.Entry{Status: 200, Body: []byte(key)}, ttl, tok), "Store(%q)", key)
}

// Expired entries and tokens go without any read touching them, and the
// live ones stay.
func TestMemorySweepRemovesExpired(t *testing.T) {
	clock := testutil.NewClock()
	// The loop's own ticker never fires during the test: sweep is called
	// by hand.
	m, err := New(Options{Now: clock.Now, SweepInterval: time.Hour})
	require.NoError(t, err)
	defer m.Close()
	storeFor(t, m, "short", "t:short", time.Second)
	storeFor(t, m, "long", "t:long", time.Hour)
	require.NoError(t, m.Renew(context.Background(), []string{"t:renewed"}, time.Second))
	shard, h := m.token("t:short")
	shard.mu.Lock()
	shortCell := shard.lookup(h)
	shard.mu.Unlock()
	require.NotNil(t, shortCell, "no cell for the token t:short after a Store under it")
	clock.Advance(2 * time.Second)
	require.Equal(t, 2, m.Len(), "before the sweep: %d entries, %d tokens; want 2, 3 (nothing read them)", m.Len(), m.tokenCount())
	require.Equal(t, 3, m.tokenCount(), "before the sweep: %d entries, %d tokens; want 2, 3 (nothing read them)", m.Len(), m.tokenCount())
	m.sweep()
	require.Equal(t, 1, m.Len(), "after the sweep: %d entries, %d tokens; want 1, 1", m.Len(), m.tokenCount())
	require.Equal(t, 1, m.tokenCount(), "after the sweep: %d entries, %d tokens; want 1, 1", m.Len(), m.tokenCount())
	v := shortCell.v.Load()
	require.Equal(t, uint64(0), v, "a swept token's cell still holds %d; an entry pointing at it would validate", v)
	e, err := m.Lookup(context.Background(), "long", backend.Tokens{Names: []string{"t:long"}, Values: make([]backend.Token, 1)})
	require.NoError(t, err, "Lookup of the live entry after the sweep = %v, %v", e, err)
	require.Equal(t, "long", string(e.Body), "Lookup of the live entry after the sweep = %v, %v", e, err)
}

// The background loop sweeps on its own, every SweepInterval.
func TestMemorySweepLoop(t *testing.T) {
	clock := testutil.NewClock()
	swept := make(chan struct{})
	m, err := newMemory(Options{Now: clock.Now, SweepInterval: time.Millisecond}, swept)
	require.NoError(t, err)
	defer m.Close()
	storeFor(t, m, "short", "t:short", time.Second)
	clock.Advance(2 * time.Second)
	// The first sweep heard of may have read the clock before Advance; the
	// second began after the first was heard of, so after Advance.
	<-swept
	<-swept
	require.Equal(t, 0, m.Len(), "after the loop swept: %d entries, %d tokens; want 0, 0", m.Len(), m.tokenCount())
	require.Equal(t, 0, m.tokenCount(), "after the loop swept: %d entries, %d tokens; want 0, 0", m.Len(), m.tokenCount())
}
