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
// path, four tokens per entry (two shared by all, two of the path's own),
// and headers and ETag built per response.
func fillFootprint(t testing.TB, m *memory.Memory) {
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= footprintEntries; i++ {
		path := "/items/" + strconv.Itoa(i)
		key := "gincache:v1:GET:example.com:" + path
		etag := fmt.Sprintf(`"%016x"`, uint64(i)*0x9e3779b97f4a7c15)
		e := &backend.Entry{
			Status: 200,
			Header: []backend.HeaderField{
				{Name: "Content-Type", Values: []string{"application/json; charset=utf-8"}},
				{Name: "Content-Length", Values: []string{"1024"}},
				{Name: "Etag", Values: []string{etag}},
			},
			Body:     make([]byte, 1024),
			ETag:     etag,
			StoredAt: at,
			Expires:  at.Add(time.Hour),
		}
		tok := backend.Tokens{
			Names: []string{
				"gincache:t:{/items}:S:/",
				"gincache:t:{/items}:S:/items",
				"gincache:t:{/items}:S:" + path,
				"gincache:t:{/items}:E:" + path,
			},
			Values: make([]backend.Token, 4),
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
// regressions. DESIGN.md's target is 1.5x and is NOT met: the figure is
// 1.67x, 689 bytes per entry beyond its 1 KiB body. Where they go (heap
// profile of this scenario): the item (a copy of the Entry, its cells
// and removal time) 192 (size class of 184 bytes), its header fields 128 + 48 for their value slices + 24 for the
// ETag string, the copied key 48, otter's node and table about 90, the
// entry's Tokens and token cell pointers 32 + 32, and its two own tokens'
// cells and map slots about 2 x 42. Keying tokens by a hash rather than
// by name took it down from 1.79x (808 bytes). Most of the rest is the
// Entry's shape, which the cache builds.
const footprintBound = 1.70

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
	t.Logf("heap %d bytes for %d bytes of bodies: %.3fx (%d bytes per entry beyond its body; DESIGN.md's target: 1.5x); Bytes() = %d",
		held, payload, ratio, (held-payload)/footprintEntries, m.Bytes())
	runtime.KeepAlive(m)
	assert.LessOrEqual(t, ratio, footprintBound, "the memory backend takes %.2fx the payload, over the %.2fx it took when this bound was set", ratio, footprintBound)
}
