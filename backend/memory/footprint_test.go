package memory_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
)

// footprintEntries is DESIGN.md's memory scenario: 10,000 responses of
// 1 KiB at 10,000 distinct paths, the worst case for tokens.
const footprintEntries = 10_000

// fillFootprint stores the scenario into m as the cache would: a key per
// path, five tokens per entry (the epoch, S of / and of /items shared by
// all, S and E of the path its own), the route's header fields shared by
// every entry (the cache interns them) and an ETag per response.
func fillFootprint(t testing.TB, m *memory.Memory) {
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	header := []backend.HeaderField{
		{Name: "Content-Type", Values: []string{"application/json; charset=utf-8"}},
	}
	for i := 1; i <= footprintEntries; i++ {
		path := "/items/" + strconv.Itoa(i)
		key := "gincache:v1:GET:example.com:" + path
		e := &backend.Entry{
			Status:   200,
			Header:   header,
			Body:     make([]byte, 1024),
			StoredAt: at,
			Expires:  at.Add(time.Hour),
		}
		e.SetETag(fmt.Sprintf(`"%016x"`, uint64(i)*0x9e3779b97f4a7c15))
		tok := backend.Tokens{
			Names: []string{
				"gincache:t:{/}:epoch",
				"gincache:t:{/}:S:/",
				"gincache:t:{/items}:S:/items",
				"gincache:t:{/items}:S:" + path,
				"gincache:t:{/items}:E:" + path,
			},
			Values: make([]backend.Token, 5),
		}
		_, err := m.Lookup(ctx, key, tok)
		require.Error(t, err, "%s already held", key)
		require.NoError(t, m.Store(ctx, key, e, time.Hour, tok), "Store(%q)", key)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// footprintBound guards the memory backend's footprint against
// regressions, at issue 16's target (DESIGN.md's is 1.5x): the figure is
// 1.269x, 275 bytes per entry beyond its 1 KiB body. Where they go (heap
// profile of this scenario): the item 96 (the entry's slices as pointers
// and lengths, its times as Unix ns, its ETag as header values, its
// tokens as a digest of their values; a copy of the Entry in it took 192:
// 494 bytes an entry, 1.483x), the refs of its 5 token cells (4 bytes
// each), its key and its ETag in one allocation of 80 (the key and ETag
// took 64, and 8-byte cell pointers with the values recorded another 80:
// 349 bytes an entry, 1.341x), its slot in its shard's Go map about 33
// (a 16-byte slot keyed by the key's hash, at the load of 156 entries in
// a 256-slot table; keyed by the key string, 24 bytes a slot made it
// about 41: 285 bytes an entry, 1.279x; otter's node and table took
// 64 + 26: 398 bytes an entry, 1.389x), and its two own tokens' cells and
// table slots about 2 x 33 (a map[uint64]*tokenCell took 2 x 46: 529
// bytes an entry, 1.517x). The header fields are shared by the route's
// entries (the cache interns them) and cost nothing per entry; unshared
// they took it to 1.75x.
const footprintBound = 1.30

// The memory backend's heap for the scenario, against the payload (10,000
// KiB of bodies). The heap figure is the live heap after a GC, the same
// from run to run.
func TestMemoryFootprint(t *testing.T) {
	before := heapInUse()
	m, err := memory.New(memory.Options{})
	require.NoError(t, err)
	defer m.Close()
	fillFootprint(t, m)
	held := heapInUse() - before
	require.Equal(t, footprintEntries, m.Len(), "%d entries held", m.Len())
	payload := uint64(footprintEntries * 1024)
	ratio := float64(held) / float64(payload)
	t.Logf("heap %d bytes for %d bytes of bodies: %.3fx (%d bytes per entry beyond its body; DESIGN.md's target: 1.5x, issue 16's 1.3x); Bytes() = %d",
		held, payload, ratio, (held-payload)/footprintEntries, m.Bytes())
	runtime.KeepAlive(m)
	assert.LessOrEqual(t, ratio, footprintBound, "the memory backend takes %.2fx the payload, over the %.2fx it took when this bound was set", ratio, footprintBound)
}
