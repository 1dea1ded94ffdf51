package backendtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

var expiryCases = []testCase{
	{name: "ScanReportsTTL", run: testScanReportsTTL},
	{name: "StoreRejectsNonPositiveTTL", run: testStoreRejectsNonPositiveTTL},
	{name: "EntryExpires", run: testEntryExpires, needsClock: true},
	{name: "TokensOutliveTheirEntries", run: testTokensOutliveTheirEntries, needsClock: true},
	{name: "RenewedTokensLiveTheirTTL", run: testRenewedTokensLiveTheirTTL, needsClock: true},
	{name: "StoreAfterTokenExpired", run: testStoreAfterTokenExpired, needsClock: true},
}

// ttlSlack is how far below the TTL it was stored with Scan may report an
// entry's TTL, for a backend whose clock runs (a real Redis server on a
// slow machine) or that rounds.
const ttlSlack = time.Minute

// Scan reports each entry's remaining TTL, not a constant.
func testScanReportsTTL(t *testing.T, s *suite) {
	b := s.open(t)
	ttls := map[string]time.Duration{
		"bt:k:ttl-10m": 10 * time.Minute,
		"bt:k:ttl-3h":  3 * time.Hour,
	}
	for key, ttl := range ttls {
		fill(t, b, key, ttl, tokItem)
	}
	keys := scanAll(t, s, b, "bt:k:ttl-*", 10)
	require.Len(t, keys, len(ttls), "Scan lists %v", keyNames(keys))
	for _, k := range keys {
		ttl := ttls[k.Key]
		assert.LessOrEqual(t, k.TTL, ttl, "Scan reports TTL %v for %q stored for %v", k.TTL, k.Key, ttl)
		assert.Greater(t, k.TTL, ttl-ttlSlack, "Scan reports TTL %v for %q stored for %v", k.TTL, k.Key, ttl)
	}
}

// A TTL that is not positive is bad input: an error, and nothing stored
// (an entry without expiry would never leave a byte-bounded store).
func testStoreRejectsNonPositiveTTL(t *testing.T, s *suite) {
	b := s.open(t)
	for _, ttl := range []time.Duration{0, -time.Second} {
		key := "bt:k:bad-ttl"
		_, err := store(b, key, newEntry(key), ttl, []string{tokItem}, nil)
		assert.Error(t, err, "Store with ttl %v = nil; want an error", ttl)
		mustMiss(t, b, key, tokItem)
	}
	keys := scanAll(t, s, b, "", 10)
	require.Empty(t, keys, "Scan after rejected Stores lists %v", keyNames(keys))
}

// An entry is served until its TTL, then it is gone for every method.
func testEntryExpires(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	key := "bt:k:expiring"
	recorded := fill(t, b, key, 10*time.Second, tokItem)
	fill(t, b, "bt:k:lasting", defaultTTL, tokItem)

	s.h.Advance(4 * time.Second)
	mustHit(t, b, key, tokItem)
	keys := scanAll(t, s, b, key, 10)
	require.Len(t, keys, 1, "Scan(%q) lists %v before expiry", key, keyNames(keys))
	for _, k := range keys {
		assert.LessOrEqual(t, k.TTL, 6*time.Second, "4s into a 10s TTL, Scan reports TTL %v; want 6s (to 1s precision)", k.TTL)
		assert.Greater(t, k.TTL, 5*time.Second, "4s into a 10s TTL, Scan reports TTL %v; want 6s (to 1s precision)", k.TTL)
	}

	s.h.Advance(7 * time.Second)
	v := mustMiss(t, b, key, tokItem)
	require.Equal(t, recorded[0], v[0], "after expiry Lookup reports token")
	keys = scanAll(t, s, b, "", 10)
	require.Len(t, keys, 1, "Scan after expiry lists %v; want only bt:k:lasting", keyNames(keys))
	require.Equal(t, "bt:k:lasting", keys[0].Key, "Scan after expiry lists %v; want only bt:k:lasting", keyNames(keys))
	ok, err := b.Delete(ctx, key)
	require.False(t, ok, "Delete of an expired entry = %v, %v; want false, nil", ok, err)
	require.NoError(t, err, "Delete of an expired entry = %v, %v; want false, nil", ok, err)
	fill(t, b, "bt:k:expiring2", time.Second, tokItem)
	s.h.Advance(2 * time.Second)
	n, err := b.ClearPattern(ctx, "bt:k:expiring*")
	require.Equal(t, 0, n, "ClearPattern over expired entries = %d, %v; want 0, nil", n, err)
	require.NoError(t, err, "ClearPattern over expired entries = %d, %v; want 0, nil", n, err)
	mustHit(t, b, "bt:k:lasting", tokItem)
	// The key can be filled again.
	fill(t, b, key, 10*time.Second, tokItem)
	mustHit(t, b, key, tokItem)
}

// A token an entry records lives at least as long as the entry, even when
// it was renewed with a shorter TTL or created by a fill with a shorter
// one: otherwise the entry would turn into a miss early, or, worse, a
// token recreated later could be mistaken for the one recorded.
func testTokensOutliveTheirEntries(t *testing.T, s *suite) {
	b := s.open(t)
	require.NoError(t, b.Renew(context.Background(), []string{tokList}, time.Second), "Renew")
	fill(t, b, "bt:k:short", time.Minute, tokItem)
	recorded := fill(t, b, "bt:k:long", 2*time.Hour, tokList, tokItem)
	s.h.Advance(90 * time.Minute)
	now := tokens(t, b, tokList, tokItem)
	require.Equal(t, recorded, now, "90m into a 2h entry, its tokens read")
	checkBody(t, "bt:k:long", mustHit(t, b, "bt:k:long", tokList, tokItem))
}

// A renewed token keeps its value for at least the TTL it was renewed
// with, stored entries or not.
func testRenewedTokensLiveTheirTTL(t *testing.T, s *suite) {
	b := s.open(t)
	require.NoError(t, b.Renew(context.Background(), []string{tokList}, 10*time.Minute), "Renew")
	before := tokens(t, b, tokList)
	s.h.Advance(9 * time.Minute)
	after := tokens(t, b, tokList)
	require.Equal(t, before[0], after[0], "token renewed for 10m reads %v after 9m; was", after[0])
}

// A token present at Lookup that is gone by Store (it expired, after a
// write renewed it for a short while) must not come back with the value
// the fill saw: Store gives up, or stores an entry that never validates.
func testStoreAfterTokenExpired(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	key := "bt:k:/items/1"
	require.NoError(t, b.Renew(ctx, []string{tokItem}, time.Second), "Renew")
	seen := mustMiss(t, b, key, tokItem)
	// A write, then the token runs out.
	require.NoError(t, b.Renew(ctx, []string{tokItem}, time.Second), "Renew")
	s.h.Advance(2 * time.Second)
	_, err := store(b, key, newEntry(key), defaultTTL, []string{tokItem}, seen)
	if err != nil && !errors.Is(err, backend.ErrConflict) {
		t.Fatalf("Store after its token expired = %v; want nil or ErrConflict", err)
	}
	mustMiss(t, b, key, tokItem)
	now := tokens(t, b, tokItem)
	require.NotEqual(t, seen[0], now[0], "the expired token came back with the value %v the fill saw before a write", now[0])
}
