package backendtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
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
	if err := b.Renew(ctx, patternKeys, defaultTTL); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	toks := tokens(t, b, patternKeys...)
	for _, tc := range patternTable {
		storeKeys(t, b, patternKeys...)
		n, err := b.ClearPattern(ctx, tc.pattern)
		if err != nil {
			t.Fatalf("ClearPattern(%q) = %v", tc.pattern, err)
		}
		if n != len(tc.want) {
			t.Errorf("ClearPattern(%q) reported %d deleted; want %d", tc.pattern, n, len(tc.want))
		}
		left := keyNames(scanAll(t, s, b, "", 100))
		for _, k := range patternKeys {
			cleared, present := slices.Contains(tc.want, k), slices.Contains(left, k)
			if present == cleared {
				t.Errorf("after ClearPattern(%q), key %q present=%v; want %v", tc.pattern, k, present, !cleared)
			}
		}
		if now := tokens(t, b, patternKeys...); !slices.Equal(now, toks) {
			t.Fatalf("ClearPattern(%q) changed tokens", tc.pattern)
		}
	}
	storeKeys(t, b, patternKeys...)
	if n, err := b.ClearPattern(ctx, "*"); n != len(patternKeys) || err != nil {
		t.Fatalf("ClearPattern(*) = %d, %v; want %d, nil", n, err, len(patternKeys))
	}
	if n, err := b.ClearPattern(ctx, "*"); n != 0 || err != nil {
		t.Fatalf("ClearPattern(*) on no entries = %d, %v; want 0, nil", n, err)
	}
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
	if n, err := b.ClearPattern(ctx, "a:*"); n != 50 || err != nil {
		t.Fatalf("ClearPattern(a:*) = %d, %v; want 50, nil", n, err)
	}
	if keys := scanAll(t, s, b, "a:*", 10); len(keys) != 0 {
		t.Fatalf("Scan(a:*) after clearing lists %v", keyNames(keys))
	}
	for i := range 50 {
		k := fmt.Sprintf("b:%02d", i)
		checkBody(t, k, mustHit(t, b, k, tokB))
		mustMiss(t, b, fmt.Sprintf("a:%02d", i), tokA)
	}
	mustHit(t, b, "ab:1")
	if keys := scanAll(t, s, b, "b:*", 10); len(keys) != 50 {
		t.Fatalf("Scan(b:*) lists %d keys; want 50", len(keys))
	}
	if n, err := b.ClearPattern(ctx, "a:*"); n != 0 || err != nil {
		t.Fatalf("second ClearPattern(a:*) = %d, %v; want 0, nil", n, err)
	}
}
