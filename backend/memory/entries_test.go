package memory

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// The item is one 96-byte allocation, a size class of its own: a field
// more takes it to 112 (TestMemoryFootprint would show 16 bytes an entry).
func TestItemSize(t *testing.T) {
	require.Equal(t, uintptr(96), unsafe.Sizeof(item{}))
}

func lookupBody(m *Memory, key string) bool {
	_, err := m.Lookup(context.Background(), key, backend.Tokens{Names: []string{"t:" + key}, Values: make([]backend.Token, 1)})
	return err == nil
}

func storeSized(t *testing.T, m *Memory, key string, n int) {
	t.Helper()
	tok := backend.Tokens{Names: []string{"t:" + key}, Values: make([]backend.Token, 1)}
	if e, err := m.Lookup(context.Background(), key, tok); err == nil {
		copy(tok.Values, e.Tokens)
	}
	require.NoError(t, m.Store(context.Background(), key, &backend.Entry{Status: 200, Body: make([]byte, n)}, time.Hour, tok), "Store(%q)", key)
}

// Past MaxBytes, what goes is what was used least recently: entries read
// between stores stay, while a stream of new ones that nobody reads
// replaces the older of its own kind. Sampling makes it approximate: a
// few of the read ones may go, most must stay.
func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	const maxBytes = 256 << 10
	m, err := New(Options{MaxBytes: maxBytes})
	require.NoError(t, err)
	defer m.Close()
	hot := make([]string, 20)
	for i := range hot {
		hot[i] = fmt.Sprintf("hot%02d", i)
		storeSized(t, m, hot[i], 1000)
	}
	for i := range 2000 {
		storeSized(t, m, fmt.Sprintf("cold%04d", i), 1000)
		lookupBody(m, hot[i%len(hot)]) // each read every 20 stores
		require.LessOrEqual(t, m.Bytes(), int64(maxBytes), "after %d stores", i+1)
	}
	kept := 0
	for _, k := range hot {
		if lookupBody(m, k) {
			kept++
		}
	}
	// The bound holds about 200 entries: an unread one lives up to about
	// 200 stores, a read one is never more than 20 stores old.
	assert.GreaterOrEqual(t, kept, 17, "%d of %d entries read every 20 stores kept, against a stream of unread ones", kept, len(hot))
	coldKept := 0
	for i := range 1000 {
		if lookupBody(m, fmt.Sprintf("cold%04d", i)) {
			coldKept++
		}
	}
	assert.LessOrEqual(t, coldKept, 20, "%d of the first 1,000 unread entries still held after 1,000 more", coldKept)
}

// Under concurrent stores, reads, deletes, sweeps and evictions the
// table's accounting stays exact: once they stop, Len and Bytes are what
// the items held add up to, and the bound holds.
func TestEntryTableAccountingUnderConcurrency(t *testing.T) {
	const maxBytes = 128 << 10
	m, err := New(Options{MaxBytes: maxBytes})
	require.NoError(t, err)
	defer m.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 3000 {
				key := fmt.Sprintf("k%d", (i*7+g*13)%400)
				tok := backend.Tokens{Names: []string{"t:" + key}, Values: make([]backend.Token, 1)}
				switch i % 4 {
				case 0, 1:
					if e, err := m.Lookup(ctx, key, tok); err == nil {
						copy(tok.Values, e.Tokens)
					}
					_ = m.Store(ctx, key, &backend.Entry{Status: 200, Body: make([]byte, 100+(i*31)%2000)}, time.Duration(1+i%3)*time.Millisecond*50, tok)
				case 2:
					_, _ = m.Delete(ctx, key)
				case 3:
					m.sweep()
				}
			}
		})
	}
	wg.Wait()
	var n, bytes int64
	m.entries.each(func(k string, it *item) {
		n++
		bytes += it.weight()
		require.Equal(t, k, it.key())
	})
	require.Equal(t, n, int64(m.Len()), "Len")
	require.Equal(t, bytes, m.Bytes(), "Bytes")
	require.LessOrEqual(t, m.Bytes(), int64(maxBytes), "Bytes over MaxBytes")
	require.NoError(t, m.Close())
	require.Equal(t, 0, m.Len(), "Len after Close")
	require.Equal(t, int64(0), m.Bytes(), "Bytes after Close")
}

// Two keys whose hashes collide (forced here: with a seed per backend
// it is a 2^-64 chance) never read or delete each other's entry; the
// later stored replaces the earlier, and the accounting follows.
func TestEntryTableHashCollision(t *testing.T) {
	m, err := New(Options{})
	require.NoError(t, err)
	defer m.Close()
	ctx := context.Background()
	require.NoError(t, m.Store(ctx, "a", &backend.Entry{Status: 200, Body: []byte("body a")}, time.Hour, backend.Tokens{}))
	tb := m.entries
	sa, ha := tb.locate("a")
	itA := sa.items[ha]
	// Move a's item to where b would be.
	sb, hb := tb.locate("b")
	sa.mu.Lock()
	delete(sa.items, ha)
	sa.mu.Unlock()
	sb.mu.Lock()
	sb.items[hb] = itA
	sb.mu.Unlock()

	_, ok := tb.get("b")
	require.False(t, ok, "b read a's entry, which sits under b's hash")
	ok, err = m.Delete(ctx, "b")
	require.NoError(t, err)
	require.False(t, ok, "deleting b deleted a's entry")
	require.Same(t, itA, sb.items[hb], "a's entry after b was deleted")

	before := m.Bytes()
	require.NoError(t, m.Store(ctx, "b", &backend.Entry{Status: 200, Body: []byte("body b, longer")}, time.Hour, backend.Tokens{}))
	var dst backend.Entry
	require.True(t, m.Peek("b", 0, time.Now(), &dst), "peek b")
	require.Equal(t, "body b, longer", string(dst.Body))
	require.Equal(t, 1, m.Len(), "entries after b replaced a's colliding entry")
	require.Equal(t, before-itA.weight()+sb.items[hb].weight(), m.Bytes(), "Bytes after b replaced a's colliding entry")
}
