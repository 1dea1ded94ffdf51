package memory

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// The digest of an entry's token values changes whenever one value
// changes (to another random one, or to 0 when its token goes), and when
// two positions that hold the same cell (two names whose hashes collide)
// change together: a plain XOR of the values, say, would miss the last.
func TestTokenDigestSeesEveryChange(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		values := make([]backend.Token, 1+r.IntN(10))
		for i := range values {
			values[i] = backend.Token(r.Uint64() | 1)
		}
		d := tokenDigest(values)
		i := r.IntN(len(values))
		for _, changed := range []backend.Token{0, backend.Token(r.Uint64()), values[i] ^ 1<<63} {
			if changed == values[i] {
				continue
			}
			v := append([]backend.Token(nil), values...)
			v[i] = changed
			require.NotEqual(t, d, tokenDigest(v), "digest of %v and of %v with value %d set to %d", values, v, i, changed)
		}
		if len(values) > 1 {
			j := (i + 1 + r.IntN(len(values)-1)) % len(values)
			shared := append([]backend.Token(nil), values...)
			shared[j] = shared[i]
			renewed := append([]backend.Token(nil), shared...)
			renewed[i] = backend.Token(r.Uint64())
			renewed[j] = renewed[i]
			require.NotEqual(t, tokenDigest(shared), tokenDigest(renewed), "a cell shared by positions %d and %d renewed", i, j)
		}
	}
}

// keyBlock's refs are aligned and writable without touching the key and
// ETag, which the item finds after them, for any count and lengths.
func TestKeyBlock(t *testing.T) {
	for n := range 10 {
		for kl := range 20 {
			for tl := range 20 {
				key, tag := strings.Repeat("k", kl), strings.Repeat("t", tl)
				block, refs, g := keyBlock(n, key, tag)
				require.Len(t, refs, n)
				require.Equal(t, n, cap(refs), "refs' capacity")
				if n > 0 {
					require.Same(t, block, &refs[0], "the block's start")
					require.Zero(t, uintptr(unsafe.Pointer(&refs[0]))%4, "refs at %p", &refs[0])
				}
				for i := range refs {
					refs[i] = ^cellRef(0)
				}
				it := item{cells: block, ncells: uint16(n), keyLen: uint16(kl)}
				require.Equal(t, key, it.key(), "key after writing %d refs", n)
				require.Equal(t, tag, g, "ETag after writing %d refs", n)
			}
		}
	}
}

// When the backend holds as many token cells as their refs can name, a
// Store or Renew that needs a new token fails, and harms nothing: entries
// stored before still hit.
func TestMemoryTokensFull(t *testing.T) {
	m, err := New(Options{})
	require.NoError(t, err)
	defer m.Close()
	m.cells.limit = 4 * cellsPerBlock
	ctx := context.Background()
	store := func(key string) error {
		tok := backend.Tokens{Names: []string{"t:" + key}, Values: make([]backend.Token, 1)}
		if _, err := m.Lookup(ctx, key, tok); err == nil {
			return nil
		}
		return m.Store(ctx, key, &backend.Entry{Status: 200, Body: []byte(key)}, time.Hour, tok)
	}
	var stored []string
	for i := 0; ; i++ {
		key := "k" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		if err := store(key); err != nil {
			require.ErrorIs(t, err, errTokensFull, "Store of %s", key)
			break
		}
		stored = append(stored, key)
		require.Less(t, i, tokenShards*cellsPerBlock, "no Store failed")
	}
	full := m.Len()
	require.Len(t, stored, full, "entries held")
	var renewErr error
	for i := 0; renewErr == nil && i < tokenShards*cellsPerBlock; i++ {
		renewErr = m.Renew(ctx, []string{"t:new" + strings.Repeat("x", i)}, time.Hour)
	}
	require.ErrorIs(t, renewErr, errTokensFull, "Renew of new tokens until one fails")
	for _, key := range stored {
		tok := backend.Tokens{Names: []string{"t:" + key}, Values: make([]backend.Token, 1)}
		e, err := m.Lookup(ctx, key, tok)
		require.NoError(t, err, "lookup of %s, stored before the table filled", key)
		require.Equal(t, key, string(e.Body))
	}
}
