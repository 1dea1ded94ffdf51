package backendtest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var clearCases = []testCase{
	{name: "ClearPatternExact", run: testClearPatternExact},
	{name: "ClearPatternPrefixIsolation", run: testClearPatternPrefixIsolation},
}

// ClearPattern deletes exactly the entries a pattern selects, reports how
// many, and leaves every token, even one whose name the pattern matches.
func testClearPatternExact(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	// Tokens named like the keys, so that a backend mixing the namespaces
	// would clear them too.
	require.NoError(t, b.Renew(ctx, patternKeys, defaultTTL), "Renew")
	toks := tokens(t, b, patternKeys...)
	for _, tc := range patternTable {
		storeKeys(t, b, patternKeys...)
		n, err := b.ClearPattern(ctx, tc.pattern)
		require.NoError(t, err, "ClearPattern(%q)", tc.pattern)
		assert.Equal(t, len(tc.want), n, "ClearPattern(%q) reported %d deleted", tc.pattern, n)
		left := keyNames(scanAll(t, s, b, "", 100))
		for _, k := range patternKeys {
			cleared, present := slices.Contains(tc.want, k), slices.Contains(left, k)
			assert.NotEqual(t, cleared, present, "after ClearPattern(%q), key %q present", tc.pattern, k)
		}
		now := tokens(t, b, patternKeys...)
		require.Equal(t, toks, now, "ClearPattern(%q) changed tokens", tc.pattern)
	}
	storeKeys(t, b, patternKeys...)
	n, err := b.ClearPattern(ctx, "*")
	require.Equal(t, len(patternKeys), n, "ClearPattern(*) = %d, %v; want %d, nil", n, err, len(patternKeys))
	require.NoError(t, err, "ClearPattern(*) = %d, %v; want %d, nil", n, err, len(patternKeys))
	n, err = b.ClearPattern(ctx, "*")
	require.Equal(t, 0, n, "ClearPattern(*) on no entries = %d, %v; want 0, nil", n, err)
	require.NoError(t, err, "ClearPattern(*) on no entries = %d, %v; want 0, nil", n, err)
}

// Two applications (two key prefixes) share a backend: clearing one's
// keys leaves the other's entries valid.
func testClearPatternPrefixIsolation(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	tokA, tokB := "a:t:{/}:S:/", "b:t:{/}:S:/"
	for i := range 50 {
		fill(t, b, fmt.Sprintf("a:%02d", i), defaultTTL, tokA)
		fill(t, b, fmt.Sprintf("b:%02d", i), defaultTTL, tokB)
	}
	fill(t, b, "ab:1", defaultTTL) // shares a first letter, not the prefix
	n, err := b.ClearPattern(ctx, "a:*")
	require.Equal(t, 50, n, "ClearPattern(a:*) = %d, %v; want 50, nil", n, err)
	require.NoError(t, err, "ClearPattern(a:*) = %d, %v; want 50, nil", n, err)
	keys := scanAll(t, s, b, "a:*", 10)
	require.Empty(t, keys, "Scan(a:*) after clearing lists %v", keyNames(keys))
	for i := range 50 {
		k := fmt.Sprintf("b:%02d", i)
		checkBody(t, k, mustHit(t, b, k, tokB))
		mustMiss(t, b, fmt.Sprintf("a:%02d", i), tokA)
	}
	mustHit(t, b, "ab:1")
	keys = scanAll(t, s, b, "b:*", 10)
	require.Len(t, keys, 50, "Scan(b:*) lists %d keys", len(keys))
	n, err = b.ClearPattern(ctx, "a:*")
	require.Equal(t, 0, n, "second ClearPattern(a:*) = %d, %v; want 0, nil", n, err)
	require.NoError(t, err, "second ClearPattern(a:*) = %d, %v; want 0, nil", n, err)
}
