// Package backend defines where gincache keeps cached responses, and
// provides the in-memory backend (the default) and the Redis backend.
//
// # The contract
//
// A Backend stores entries (encoded responses, under keys the cache
// builds) and generation tokens (random values under names the cache
// builds). An entry records the token values it was stored under; a write
// invalidates by renewing a few tokens, which makes every entry recorded
// under the old values invalid at once, so invalidation costs O(depth of
// the path), whatever the number of entries it makes stale. A hit is one
// Lookup: the entry and the current tokens read together.
//
// See the Backend interface for the exact rules, and package backendtest
// for the conformance suite that checks them. A custom backend that stores
// bytes can use Entry.MarshalBinary and Entry.UnmarshalBinary, and Match for
// glob patterns, so that it agrees with the built-in ones.
//
// # Memory
//
// NewMemory returns a byte-bounded in-process backend (default 64 MiB),
// evicting with W-TinyLFU (maypok86/otter) and sweeping expired entries and
// tokens in the background.
package backend
