package backendtest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// Token names shaped like the cache's: a hash tag, a kind and a path.
const (
	tokEpoch = "bt:t:{/items}:epoch"
	tokRoot  = "bt:t:{/items}:S:/"
	tokList  = "bt:t:{/items}:S:/items"
	tokItem  = "bt:t:{/items}:S:/items/1"
	tokOwn   = "bt:t:{/items}:E:/items/1"
	// tokItem's name is a prefix of tokItem10's: no backend may confuse them.
	tokItem10 = "bt:t:{/items}:S:/items/10"
)

var itemTokens = []string{tokEpoch, tokRoot, tokList, tokItem, tokOwn}

var tokenCases = []testCase{
	{name: "LookupMissReportsTokens", run: testLookupMissReportsTokens},
	{name: "StoreCreatesAbsentTokens", run: testStoreCreatesAbsentTokens},
	{name: "StoreKeepsPresentTokens", run: testStoreKeepsPresentTokens},
	{name: "StoreConflictAbsentTokenCreated", run: testStoreConflictAbsentCreated},
	{name: "StoreConflictPresentTokenRenewed", run: testStoreConflictPresentRenewed},
	{name: "RenewGivesFreshValues", run: testRenewGivesFreshValues},
	{name: "RenewOfAnyTokenInvalidates", run: testRenewOfAnyTokenInvalidates},
	{name: "RenewOfOtherTokensKeepsEntry", run: testRenewOfOtherTokensKeepsEntry},
	{name: "EntryWithoutTokens", run: testEntryWithoutTokens},
	{name: "LookupNeedsTheStoredTokens", run: testLookupNeedsTheStoredTokens},
	{name: "CallerBuffersNotRetained", run: testCallerBuffersNotRetained},
}

// A miss fills in the current values, 0 for absent tokens, and a read
// never creates a token: a store afterwards still finds it absent.
func testLookupMissReportsTokens(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	require.NoError(t, b.Renew(ctx, []string{tokRoot, tokItem}, defaultTTL), "Renew")
	names := []string{tokRoot, tokList, tokItem, tokItem10}
	first := mustMiss(t, b, "bt:k:absent", names...)
	require.NotEqual(t, backend.Token(0), first[0], "Lookup miss reported %v; want renewed tokens %s and %s non-zero", first, tokRoot, tokItem)
	require.NotEqual(t, backend.Token(0), first[2], "Lookup miss reported %v; want renewed tokens %s and %s non-zero", first, tokRoot, tokItem)
	require.Equal(t, backend.Token(0), first[1], "Lookup miss reported %v; want absent tokens %s and %s as 0", first, tokList, tokItem10)
	require.Equal(t, backend.Token(0), first[3], "Lookup miss reported %v; want absent tokens %s and %s as 0", first, tokList, tokItem10)
	// Reading again, through another key, changes nothing: no token was
	// created or renewed by the first read.
	again := mustMiss(t, b, "bt:k:other", names...)
	require.Equal(t, first, again, "second Lookup reported %v, first %v; reads must not change tokens", again, first)
	// Store still sees the never-created tokens as absent: no conflict.
	got, err := store(b, "bt:k:absent", newEntry("bt:k:absent"), defaultTTL, names, first)
	require.NoError(t, err, "Store after Lookup = %v; Lookup must not create tokens", err)
	require.NotEqual(t, backend.Token(0), got[1], "Store reported %v; want created tokens non-zero", got)
	require.NotEqual(t, backend.Token(0), got[3], "Store reported %v; want created tokens non-zero", got)
}

// Store creates the absent tokens with fresh non-zero values, reports them
// in tok.Values, records them in the entry, and others then read them.
func testStoreCreatesAbsentTokens(t *testing.T, s *suite) {
	b := s.open(t)
	key := "bt:k:/items/1"
	got := fill(t, b, key, defaultTTL, itemTokens...)
	for i, v := range got {
		require.NotEqual(t, backend.Token(0), v, "Store reported %v: token %s still 0", got, itemTokens[i])
		for j := range i {
			require.NotEqual(t, v, got[j], "Store gave tokens %s and %s the same value %d; values must be random", itemTokens[i], itemTokens[j], v)
		}
	}
	now := tokens(t, b, itemTokens...)
	require.Equal(t, got, now, "tokens after Store = %v; Store reported", now)
	e := mustHit(t, b, key, itemTokens...)
	checkBody(t, key, e)
	require.Equal(t, got, e.Tokens, "entry records tokens %v; Store reported", e.Tokens)
}

// A token present at Lookup is recorded with that value and left as it is.
func testStoreKeepsPresentTokens(t *testing.T, s *suite) {
	b := s.open(t)
	require.NoError(t, b.Renew(context.Background(), []string{tokList}, defaultTTL), "Renew")
	before := tokens(t, b, tokList)
	got := fill(t, b, "bt:k:list", defaultTTL, tokList)
	require.Equal(t, before[0], got[0], "Store reported %v for a present token whose value was %v", got, before)
	after := tokens(t, b, tokList)
	require.Equal(t, before[0], after[0], "Store changed a present token from %v to %v", before, after)
	mustHit(t, b, "bt:k:list", tokList)
}

// A write (Renew) between the fill's Lookup and its Store creates a token
// the fill saw absent: Store gives up with ErrConflict and stores nothing.
// So does a concurrent fill that created the token first.
func testStoreConflictAbsentCreated(t *testing.T, s *suite) {
	t.Run("Renew", func(t *testing.T) {
		b := s.open(t)
		key := "bt:k:/items/1"
		seen := mustMiss(t, b, key, itemTokens...)
		require.NoError(t, b.Renew(context.Background(), []string{tokItem}, defaultTTL), "Renew")
		renewed := tokens(t, b, tokItem)
		_, err := store(b, key, newEntry(key), defaultTTL, itemTokens, seen)
		require.ErrorIs(t, err, backend.ErrConflict, "Store after a racing Renew")
		mustMiss(t, b, key, itemTokens...)
		now := tokens(t, b, tokItem)
		require.Equal(t, renewed[0], now[0], "abandoned Store changed token %s from %v to", tokItem, renewed[0])
	})
	t.Run("OtherFill", func(t *testing.T) {
		b := s.open(t)
		seen := mustMiss(t, b, "bt:k:a", tokList)
		fill(t, b, "bt:k:b", defaultTTL, tokList) // creates tokList
		_, err := store(b, "bt:k:a", newEntry("bt:k:a"), defaultTTL, []string{tokList}, seen)
		require.ErrorIs(t, err, backend.ErrConflict, "Store of a token another Store created meanwhile")
		mustMiss(t, b, "bt:k:a", tokList)
		mustHit(t, b, "bt:k:b", tokList)
	})
}

// A write between Lookup and Store renews a token that was present. The
// contract lets Store either give up (ErrConflict) or store an entry that
// never validates; either way the stale fill is never served, and the
// renewed value stays.
func testStoreConflictPresentRenewed(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	key := "bt:k:/items/1"
	require.NoError(t, b.Renew(ctx, itemTokens, defaultTTL), "Renew")
	seen := mustMiss(t, b, key, itemTokens...)
	require.NoError(t, b.Renew(ctx, []string{tokOwn}, defaultTTL), "Renew")
	renewed := tokens(t, b, itemTokens...)
	_, err := store(b, key, newEntry(key), defaultTTL, itemTokens, seen)
	if err != nil && !errors.Is(err, backend.ErrConflict) {
		t.Fatalf("Store after a racing Renew = %v; want nil or ErrConflict", err)
	}
	mustMiss(t, b, key, itemTokens...)
	now := tokens(t, b, itemTokens...)
	require.Equal(t, renewed, now, "Store overwrote tokens: %v before, %v after", renewed, now)
}

// Renew creates absent tokens and replaces present ones, each with a
// fresh non-zero value.
func testRenewGivesFreshValues(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	names := []string{tokRoot, tokList}
	require.NoError(t, b.Renew(ctx, names[:1], defaultTTL), "Renew")
	before := tokens(t, b, names...)
	require.NoError(t, b.Renew(ctx, names, defaultTTL), "Renew")
	after := tokens(t, b, names...)
	for i := range names {
		require.NotEqual(t, backend.Token(0), after[i], "token %s was %v, %v after Renew; want a fresh non-zero value", names[i], before[i], after[i])
		require.NotEqual(t, before[i], after[i], "token %s was %v, %v after Renew; want a fresh non-zero value", names[i], before[i], after[i])
	}
	require.NotEqual(t, after[1], after[0], "Renew gave two tokens the same value")
	require.NoError(t, b.Renew(ctx, nil, defaultTTL), "Renew of no names =")
}

// Renewing any one of an entry's tokens invalidates it.
func testRenewOfAnyTokenInvalidates(t *testing.T, s *suite) {
	for i, name := range itemTokens {
		t.Run(name, func(t *testing.T) {
			b := s.open(t)
			key := "bt:k:/items/1"
			fill(t, b, key, defaultTTL, itemTokens...)
			mustHit(t, b, key, itemTokens...)
			require.NoError(t, b.Renew(context.Background(), itemTokens[i:i+1], defaultTTL), "Renew")
			mustMiss(t, b, key, itemTokens...)
		})
	}
}

// Renewing tokens an entry does not depend on leaves it valid, including
// a token whose name extends one of the entry's.
func testRenewOfOtherTokensKeepsEntry(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	key := "bt:k:/items/1"
	fill(t, b, key, defaultTTL, itemTokens...)
	other := "bt:t:{/other}:S:/other"
	require.NoError(t, b.Renew(ctx, []string{tokItem10, other}, defaultTTL), "Renew")
	checkBody(t, key, mustHit(t, b, key, itemTokens...))
	// Another entry's renewal does not reach this one either.
	fill(t, b, "bt:k:/other", defaultTTL, other)
	require.NoError(t, b.Renew(ctx, []string{other}, defaultTTL), "Renew")
	mustMiss(t, b, "bt:k:/other", other)
	checkBody(t, key, mustHit(t, b, key, itemTokens...))
}

// An entry stored under no token is valid until it expires or is
// deleted, whatever is renewed.
func testEntryWithoutTokens(t *testing.T, s *suite) {
	b := s.open(t)
	key := "bt:k:plain"
	_, err := store(b, key, newEntry(key), defaultTTL, nil, nil)
	require.NoError(t, err, "Store without tokens =")
	require.NoError(t, b.Renew(context.Background(), itemTokens, defaultTTL), "Renew")
	e := mustHit(t, b, key)
	checkBody(t, key, e)
	require.Empty(t, e.Tokens, "entry stored without tokens records")
}

// Keys, names and token slices belong to the caller, who may reuse them
// once the call returns: what was stored must not change with them.
func testCallerBuffersNotRetained(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	keyBuf := []byte("bt:k:reused-1")
	nameBuf := []byte("bt:t:{/r}:reused-1")
	key, name := aliasString(keyBuf), aliasString(nameBuf)
	const keep, keepName = "bt:k:reused-1", "bt:t:{/r}:reused-1"

	seen := mustMiss(t, b, key, name)
	values := slices.Clone(seen)
	names := []string{name}
	require.NoError(t, b.Store(ctx, key, newEntry(keep), defaultTTL, backend.Tokens{Names: names, Values: values}), "Store")
	recorded := values[0]
	// The caller reuses every buffer it passed.
	copy(keyBuf, "bt:k:reused-2")
	copy(nameBuf, "bt:t:{/r}:reused-2")
	values[0] = 12345
	names[0] = "bt:t:{/r}:elsewhere"

	e := mustHit(t, b, keep, keepName)
	checkBody(t, keep, e)
	require.Len(t, e.Tokens, 1, "entry records tokens %v after the caller reused its slice; want [%v]", e.Tokens, recorded)
	require.Equal(t, recorded, e.Tokens[0], "entry records tokens %v after the caller reused its slice; want [%v]", e.Tokens, recorded)
	mustMiss(t, b, "bt:k:reused-2", keepName)
	v := tokens(t, b, "bt:t:{/r}:reused-2")
	require.Equal(t, backend.Token(0), v[0], "a token appeared under the caller's reused name buffer: %v", v)
	keys := scanAll(t, s, b, "", 100)
	require.Len(t, keys, 1, "Scan lists %v; want only %q", keyNames(keys), keep)
	require.Equal(t, keep, keys[0].Key, "Scan lists %v; want only %q", keyNames(keys), keep)
	// The token is still found under its name, and still guards the entry.
	require.NoError(t, b.Renew(ctx, []string{keepName}, defaultTTL), "Renew")
	mustMiss(t, b, keep, keepName)
}

// An entry is valid for a lookup only under the tokens it was stored
// with: one stored without tokens (Service.Set) is not a hit for a lookup
// that names tokens, since no write could ever invalidate it, and one
// stored with tokens is not a hit for a lookup that names fewer or none.
func testLookupNeedsTheStoredTokens(t *testing.T, s *suite) {
	b := s.open(t)
	plain := "bt:k:/items/plain"
	_, err := store(b, plain, newEntry(plain), defaultTTL, nil, nil)
	require.NoError(t, err, "Store without tokens =")
	mustMiss(t, b, plain, itemTokens...)
	mustHit(t, b, plain)

	key := "bt:k:/items/1"
	fill(t, b, key, defaultTTL, itemTokens...)
	mustMiss(t, b, key)
	mustMiss(t, b, key, itemTokens[:len(itemTokens)-1]...)
	checkBody(t, key, mustHit(t, b, key, itemTokens...))
}
