package backendtest

import (
	"context"
	"slices"
	"testing"
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
	if ok, err := b.Delete(ctx, "bt:k:1"); !ok || err != nil {
		t.Fatalf("Delete of a stored entry = %v, %v; want true, nil", ok, err)
	}
	if v := mustMiss(t, b, "bt:k:1", tokList, tokItem); !slices.Equal(v, recorded) {
		t.Fatalf("tokens after Delete = %v; want %v unchanged", v, recorded)
	}
	if ok, err := b.Delete(ctx, "bt:k:1"); ok || err != nil {
		t.Fatalf("second Delete = %v, %v; want false, nil", ok, err)
	}
	if ok, err := b.Delete(ctx, "bt:k:never"); ok || err != nil {
		t.Fatalf("Delete of a key never stored = %v, %v; want false, nil", ok, err)
	}
	checkBody(t, "bt:k:2", mustHit(t, b, "bt:k:2", tokList, tokItem))
}

// Tokens live in a namespace of their own: a token named like an entry
// key is neither listed, deleted nor cleared with entries.
func testTokensAreNotEntries(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	const same = "bt:k:same"
	if err := b.Renew(ctx, []string{same}, defaultTTL); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	before := tokens(t, b, same)
	if ok, err := b.Delete(ctx, same); ok || err != nil {
		t.Fatalf("Delete(%q) where only a token has that name = %v, %v; want false, nil", same, ok, err)
	}
	fill(t, b, same, defaultTTL, same)
	if keys := scanAll(t, s, b, "bt:*", 10); len(keys) != 1 || keys[0].Key != same {
		t.Fatalf("Scan lists %v; want only the entry %q", keyNames(keys), same)
	}
	if ok, err := b.Delete(ctx, same); !ok || err != nil {
		t.Fatalf("Delete(%q) = %v, %v; want true, nil", same, ok, err)
	}
	fill(t, b, same, defaultTTL, same)
	if n, err := b.ClearPattern(ctx, "bt:*"); n != 1 || err != nil {
		t.Fatalf("ClearPattern(bt:*) = %d, %v; want 1 (the entry, not the token), nil", n, err)
	}
	if after := tokens(t, b, same); after[0] != before[0] {
		t.Fatalf("token %q was %v, now %v: Delete or ClearPattern reached it", same, before[0], after[0])
	}
}
