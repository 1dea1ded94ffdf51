package memory_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/backendtest"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

func newTestMemory(t *testing.T, opts memory.Options) *memory.Memory {
	t.Helper()
	m, err := memory.New(opts)
	require.NoError(t, err, "memory.New")
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestMemoryConformance(t *testing.T) {
	clock := testutil.NewClock()
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			return newTestMemory(t, memory.Options{Now: clock.Now})
		},
		Advance: clock.Advance,
	})
}

// The suite's checks that need no clock hold too when the memory backend
// runs on the real one: this is also the suite's own run without Advance,
// as a Redis backend's would be.
func TestMemoryConformanceRealClock(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			return newTestMemory(t, memory.Options{})
		},
	})
}

// The suite on the real clock with the sweeper running every millisecond:
// expired entries and tokens are removed, and removed token cells reused,
// while the suite's goroutines store, renew, read and clear (run under
// -race, as CI does).
func TestMemoryConformanceSweeping(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			return newTestMemory(t, memory.Options{SweepInterval: time.Millisecond})
		},
	})
}

func TestNewMemoryRejectsNegativeOptions(t *testing.T) {
	for _, tc := range []struct {
		opts  memory.Options
		field string
	}{
		{memory.Options{MaxBytes: -1}, "MaxBytes"},
		{memory.Options{SweepInterval: -time.Second}, "SweepInterval"},
	} {
		m, err := memory.New(tc.opts)
		if !assert.Error(t, err, "NewMemory(%+v); want an error naming %s", tc.opts, tc.field) {
			_ = m.Close()
			continue
		}
		assert.ErrorContains(t, err, tc.field, "NewMemory(%+v)", tc.opts)
	}
}

func TestMemoryCloseStopsItsGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	m, err := memory.New(memory.Options{SweepInterval: time.Millisecond})
	require.NoError(t, err)
	storeBody(t, m, "k", 100, time.Hour)
	require.NoError(t, m.Close(), "Close")
}

// storeBody fills key with an entry whose body is n bytes, under one
// token of its own.
func storeBody(t *testing.T, m *memory.Memory, key string, n int, ttl time.Duration) {
	t.Helper()
	e := &backend.Entry{Status: 200, Body: []byte(strings.Repeat("x", n))}
	tok := backend.Tokens{Names: []string{"t:" + key}, Values: make([]backend.Token, 1)}
	// Tokens as they are now: a miss reports them, a hit's entry records them.
	if e, err := m.Lookup(context.Background(), key, tok); err == nil {
		copy(tok.Values, e.Tokens)
	}
	require.NoError(t, m.Store(context.Background(), key, e, ttl, tok), "Store(%q)", key)
}

// The bytes held never pass MaxBytes, whatever is stored; what is held
// is still served whole.
func TestMemoryStaysUnderMaxBytes(t *testing.T) {
	const maxBytes = 64 << 10
	m := newTestMemory(t, memory.Options{MaxBytes: maxBytes})
	ctx := context.Background()
	for i := range 600 {
		storeBody(t, m, fmt.Sprintf("k%03d", i), 100+(i*397)%3000, time.Hour)
		b := m.Bytes()
		require.LessOrEqual(t, b, int64(maxBytes), "after %d stores Bytes() = %d, over MaxBytes %d", i+1, b, maxBytes)
		// A hot key, read between stores, as a frequently hit page is.
		if i > 0 {
			_, _ = m.Lookup(ctx, "k000", backend.Tokens{Names: []string{"t:k000"}, Values: make([]backend.Token, 1)})
		}
	}
	b := m.Bytes()
	require.GreaterOrEqual(t, b, int64(maxBytes/2), "Bytes() = %d after filling; the bound %d is not being used", b, maxBytes)
	keys, _, err := m.Scan(ctx, "", "", 1000)
	require.NoError(t, err)
	require.NotEmpty(t, keys, "%d entries held after 600 stores into %d bytes; want some evicted, some kept", len(keys), maxBytes)
	require.Less(t, len(keys), 600, "%d entries held after 600 stores into %d bytes; want some evicted, some kept", len(keys), maxBytes)
	for _, k := range keys {
		var i int
		fmt.Sscanf(k.Key, "k%d", &i)
		e, err := m.Lookup(ctx, k.Key, backend.Tokens{Names: []string{"t:" + k.Key}, Values: make([]backend.Token, 1)})
		require.NoError(t, err, "Lookup(%q) of a held key = %v, %v", k.Key, e, err)
		require.Len(t, e.Body, 100+(i*397)%3000, "Lookup(%q) of a held key = %v, %v", k.Key, e, err)
	}
	_, err = m.Lookup(ctx, "k000", backend.Tokens{Names: []string{"t:k000"}, Values: make([]backend.Token, 1)})
	assert.NoError(t, err, "the hot key k000 was evicted")
}

// Bytes follows what is held: it grows with a store, shrinks when an
// entry is replaced by a smaller one, and drops to 0 when all are gone.
func TestMemoryBytesAccounting(t *testing.T) {
	m := newTestMemory(t, memory.Options{})
	ctx := context.Background()
	storeBody(t, m, "k1", 10_000, time.Hour)
	big := m.Bytes()
	require.GreaterOrEqual(t, big, 10_000+int64(len("k1")), "Bytes() = %d with a 10,000-byte body held", big)
	storeBody(t, m, "k1", 1_000, time.Hour)
	small := m.Bytes()
	require.Less(t, small, big-8_000, "Bytes() = %d after replacing a 10,000-byte body (%d) with a 1,000-byte one", small, big)
	require.GreaterOrEqual(t, small, int64(1_000), "Bytes() = %d after replacing a 10,000-byte body (%d) with a 1,000-byte one", small, big)
	storeBody(t, m, "k2", 1_000, time.Hour)
	storeBody(t, m, "k3", 1_000, time.Hour)
	ok, err := m.Delete(ctx, "k1")
	require.True(t, ok, "Delete = %v, %v", ok, err)
	require.NoError(t, err, "Delete = %v, %v", ok, err)
	n, err := m.ClearPattern(ctx, "k*")
	require.Equal(t, 2, n, "ClearPattern = %d, %v", n, err)
	require.NoError(t, err, "ClearPattern = %d, %v", n, err)
	b, n := m.Bytes(), m.Len()
	require.Equal(t, int64(0), b, "Bytes(), Len() = %d, %d with nothing held", b, n)
	require.Equal(t, 0, n, "Bytes(), Len() = %d, %d with nothing held", b, n)
}

// An entry larger than the whole bound is not held, and evicts nothing to
// make room it could never have.
func TestMemoryEntryOverMaxBytes(t *testing.T) {
	m := newTestMemory(t, memory.Options{MaxBytes: 16 << 10})
	ctx := context.Background()
	for i := range 4 {
		storeBody(t, m, fmt.Sprint("small", i), 1000, time.Hour)
	}
	before := m.Bytes()
	storeBody(t, m, "huge", 32<<10, time.Hour)
	_, err := m.Lookup(ctx, "huge", backend.Tokens{Names: []string{"t:huge"}, Values: make([]backend.Token, 1)})
	require.ErrorIs(t, err, backend.ErrNotFound, "Lookup of an entry over MaxBytes")
	after := m.Bytes()
	require.Equal(t, before, after, "Bytes(), Len() = %d, %d after storing an entry over MaxBytes; were %d, 4", after, m.Len(), before)
	require.Equal(t, 4, m.Len(), "Bytes(), Len() = %d, %d after storing an entry over MaxBytes; were %d, 4", after, m.Len(), before)
}

// The memory backend always abandons a store whose present token was
// renewed meanwhile (the contract would let it store an entry that never
// validates; this one does not waste the bytes).
func TestMemoryStoreConflictsOnRenewedToken(t *testing.T) {
	m := newTestMemory(t, memory.Options{})
	ctx := context.Background()
	names := []string{"t:a"}
	require.NoError(t, m.Renew(ctx, names, time.Hour))
	values := make([]backend.Token, 1)
	_, err := m.Lookup(ctx, "k", backend.Tokens{Names: names, Values: values})
	require.ErrorIs(t, err, backend.ErrNotFound)
	require.NoError(t, m.Renew(ctx, names, time.Hour))
	err = m.Store(ctx, "k", &backend.Entry{Status: 200}, time.Hour, backend.Tokens{Names: names, Values: values})
	require.ErrorIs(t, err, backend.ErrConflict, "Store after the present token was renewed")
	require.Equal(t, 0, m.Len(), "Len() = %d after an abandoned store", m.Len())
}

// An entry is stored under its tokens, and invalidated by the renewal of
// any one of them, whatever their number: Store keeps the refs of their
// cells in its key's allocation and a digest of their values, and every
// count here validates, and invalidates, through them.
func TestMemoryEntryUnderAnyNumberOfTokens(t *testing.T) {
	m := newTestMemory(t, memory.Options{})
	ctx := context.Background()
	for n := 0; n <= 10; n++ {
		key := fmt.Sprintf("k%d", n)
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("t:%d:%d", n, i)
		}
		tok := backend.Tokens{Names: names, Values: make([]backend.Token, n)}
		_, err := m.Lookup(ctx, key, tok)
		require.ErrorIs(t, err, backend.ErrNotFound, "%d tokens: first lookup", n)
		require.NoError(t, m.Store(ctx, key, &backend.Entry{Status: 200, Body: []byte(key), Expires: time.Now().Add(time.Hour)}, time.Hour, tok), "%d tokens: Store", n)
		e, err := m.Lookup(ctx, key, backend.Tokens{Names: names, Values: make([]backend.Token, n)})
		require.NoError(t, err, "%d tokens: lookup after the store", n)
		require.Equal(t, key, string(e.Body), "%d tokens: body", n)
		require.True(t, slices.Equal(tok.Values, e.Tokens), "%d tokens: the entry records %v, Store reported %v", n, e.Tokens, tok.Values)
		if n == 0 {
			continue
		}
		for i := range names { // each token, renewed, invalidates the entry
			require.NoError(t, m.Renew(ctx, names[i:i+1], time.Hour))
			tok := backend.Tokens{Names: names, Values: make([]backend.Token, n)}
			_, err = m.Lookup(ctx, key, tok)
			require.ErrorIs(t, err, backend.ErrNotFound, "%d tokens: lookup after token %d was renewed", n, i)
			require.NoError(t, m.Store(ctx, key, &backend.Entry{Status: 200, Body: []byte(key), Expires: time.Now().Add(time.Hour)}, time.Hour, tok), "%d tokens: store again", n)
			_, err = m.Lookup(ctx, key, backend.Tokens{Names: names, Values: make([]backend.Token, n)})
			require.NoError(t, err, "%d tokens: lookup after the store again", n)
		}
	}
}

// Peek fills the caller's Entry with views of the backend's own memory:
// a response that took the body and the ETag values from one fill keeps
// them when the caller fills the same Entry for the next request.
func TestMemoryPeekSharesNothingWithItsDestination(t *testing.T) {
	m := newTestMemory(t, memory.Options{})
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		e := &backend.Entry{Status: 200, Body: []byte("body " + k), Expires: time.Now().Add(time.Hour)}
		e.SetETag(`"` + k + `"`)
		require.NoError(t, m.Store(ctx, k, e, time.Hour, backend.Tokens{}))
	}
	var dst backend.Entry
	require.True(t, m.Peek("a", 0, time.Now(), &dst), "peek a")
	body, tag := dst.Body, dst.ETagValues()
	require.True(t, m.Peek("b", 0, time.Now(), &dst), "peek b")
	require.Equal(t, "body b", string(dst.Body))
	require.Equal(t, []string{`"b"`}, dst.ETagValues())
	require.Equal(t, "body a", string(body), "a's body after the destination was filled with b")
	require.Equal(t, []string{`"a"`}, tag, "a's ETag values after the destination was filled with b")
	require.Zero(t, testing.AllocsPerRun(100, func() { m.Peek("a", 0, time.Now(), &dst) }), "a peek allocates")
	require.False(t, m.Peek("a", 1, time.Now(), &dst), "a peek for a different number of tokens")
	require.False(t, m.Peek("c", 0, time.Now(), &dst), "a peek of an absent key")
}

// Peek reads the entry's token values into the array of dst.Tokens when
// it holds them, allocating nothing, and into a new one when it does not;
// either way they are the values Store recorded.
func TestMemoryPeekTokenValues(t *testing.T) {
	m := newTestMemory(t, memory.Options{})
	ctx := context.Background()
	names := []string{"t:epoch", "t:S:/", "t:S:/items", "t:E:/items/1", "t:S:/items/1"}
	tok := backend.Tokens{Names: names, Values: make([]backend.Token, len(names))}
	_, err := m.Lookup(ctx, "k", tok)
	require.ErrorIs(t, err, backend.ErrNotFound)
	require.NoError(t, m.Store(ctx, "k", &backend.Entry{Status: 200, Body: []byte("b"), Expires: time.Now().Add(time.Hour)}, time.Hour, tok))

	var buf [8]backend.Token
	dst := backend.Entry{Tokens: buf[:0]}
	require.True(t, m.Peek("k", len(names), time.Now(), &dst), "peek")
	require.Equal(t, tok.Values, dst.Tokens, "the token values of a peek")
	require.Same(t, &buf[0], &dst.Tokens[0], "a peek put the token values outside the array it was given")
	require.Zero(t, testing.AllocsPerRun(100, func() {
		dst.Tokens = buf[:0]
		m.Peek("k", len(names), time.Now(), &dst)
	}), "a peek with room for the token values allocates")

	dst = backend.Entry{Tokens: buf[:0:2]}
	require.True(t, m.Peek("k", len(names), time.Now(), &dst), "peek with room for 2 token values")
	require.Equal(t, tok.Values, dst.Tokens, "the token values of a peek with room for 2")

	e, err := m.Lookup(ctx, "k", backend.Tokens{Names: names, Values: make([]backend.Token, len(names))})
	require.NoError(t, err, "lookup")
	require.Equal(t, tok.Values, e.Tokens, "the token values of a lookup")
	require.NotSame(t, &buf[0], &e.Tokens[0], "a lookup's entry shares a caller's array")

	require.NoError(t, m.Renew(ctx, names[3:4], time.Hour))
	dst = backend.Entry{Tokens: buf[:0]}
	require.False(t, m.Peek("k", len(names), time.Now(), &dst), "peek after a token was renewed")
	// The lookup that follows a failed peek, on an entry a write
	// invalidated, reads the values where nothing is allocated.
	miss := backend.Tokens{Names: names, Values: make([]backend.Token, len(names))}
	require.Zero(t, testing.AllocsPerRun(100, func() { _, _ = m.Lookup(ctx, "k", miss) }), "a lookup of an invalidated entry allocates")
}

// What the item's narrow fields cannot hold is refused, not truncated: a
// status, a token count, a header field count or a key length past 65,535
// would otherwise come back as another.
func TestMemoryStoreRefusesWhatTheItemCannotHold(t *testing.T) {
	m := newTestMemory(t, memory.Options{})
	ctx := context.Background()
	err := m.Store(ctx, "status", &backend.Entry{Status: 70_000, Body: []byte("x")}, time.Hour, backend.Tokens{})
	require.Error(t, err, "a status of 70,000")
	names := make([]string, 1<<16)
	for i := range names {
		names[i] = fmt.Sprint("t", i)
	}
	err = m.Store(ctx, "tokens", &backend.Entry{Status: 200}, time.Hour, backend.Tokens{Names: names, Values: make([]backend.Token, len(names))})
	require.Error(t, err, "65,536 tokens")
	err = m.Store(ctx, strings.Repeat("k", 1<<16), &backend.Entry{Status: 200}, time.Hour, backend.Tokens{})
	require.Error(t, err, "a key of 65,536 bytes")
	err = m.Store(ctx, "header", &backend.Entry{Status: 200, Header: make([]backend.HeaderField, 1<<16)}, time.Hour, backend.Tokens{})
	require.Error(t, err, "65,536 header fields")
	require.Equal(t, 0, m.Len(), "entries held after refused stores")
	long := strings.Repeat("k", 1<<16-1)
	require.NoError(t, m.Store(ctx, long, &backend.Entry{Status: 200, Body: []byte("x")}, time.Hour, backend.Tokens{}), "a key of 65,535 bytes")
	var dst backend.Entry
	require.True(t, m.Peek(long, 0, time.Now(), &dst), "peek of the key of 65,535 bytes")
}
