package backendtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

var deleteCases = []testCase{
	{name: "Delete", run: testDelete},
	{name: "TokensAreNotEntries", run: testTokensAreNotEntries},
}

// Delete removes one entry and reports whether there was one; it leaves
// other entries and every token alone.
func testDelete(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	recorded := fill(t, b, "bt:k:1", defaultTTL, tokList, tokItem)
	fill(t, b, "bt:k:2", defaultTTL, tokList, tokItem)
	ok, err := b.Delete(ctx, "bt:k:1")
	require.True(t, ok, "Delete of a stored entry = %v, %v; want true, nil", ok, err)
	require.NoError(t, err, "Delete of a stored entry = %v, %v; want true, nil", ok, err)
	v := mustMiss(t, b, "bt:k:1", tokList, tokItem)
	require.Equal(t, recorded, v, "tokens after Delete")
	ok, err = b.Delete(ctx, "bt:k:1")
	require.False(t, ok, "second Delete = %v, %v; want false, nil", ok, err)
	require.NoError(t, err, "second Delete = %v, %v; want false, nil", ok, err)
	ok, err = b.Delete(ctx, "bt:k:never")
	require.False(t, ok, "Delete of a key never stored = %v, %v; want false, nil", ok, err)
	require.NoError(t, err, "Delete of a key never stored = %v, %v; want false, nil", ok, err)
	checkBody(t, "bt:k:2", mustHit(t, b, "bt:k:2", tokList, tokItem))
}

// Tokens live in a namespace of their own: a token named like an entry
// key is neither listed, deleted nor cleared with entries.
func testTokensAreNotEntries(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	const same = "bt:k:same"
	require.NoError(t, b.Renew(ctx, []string{same}, defaultTTL), "Renew")
	before := tokens(t, b, same)
	ok, err := b.Delete(ctx, same)
	require.False(t, ok, "Delete(%q) where only a token has that name = %v, %v; want false, nil", same, ok, err)
	require.NoError(t, err, "Delete(%q) where only a token has that name = %v, %v; want false, nil", same, ok, err)
	fill(t, b, same, defaultTTL, same)
	keys := scanAll(t, s, b, "bt:*", 10)
	require.Len(t, keys, 1, "Scan lists %v; want only the entry %q", keyNames(keys), same)
	require.Equal(t, same, keys[0].Key, "Scan lists %v; want only the entry %q", keyNames(keys), same)
	ok, err = b.Delete(ctx, same)
	require.True(t, ok, "Delete(%q) = %v, %v; want true, nil", same, ok, err)
	require.NoError(t, err, "Delete(%q) = %v, %v; want true, nil", same, ok, err)
	fill(t, b, same, defaultTTL, same)
	n, err := b.ClearPattern(ctx, "bt:*")
	require.Equal(t, 1, n, "ClearPattern(bt:*) = %d, %v; want 1 (the entry, not the token), nil", n, err)
	require.NoError(t, err, "ClearPattern(bt:*) = %d, %v; want 1 (the entry, not the token), nil", n, err)
	after := tokens(t, b, same)
	require.Equal(t, before[0], after[0], "token %q was %v, now %v: Delete or ClearPattern reached it", same, before[0], after[0])
}
