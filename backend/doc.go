// Package backend defines where gincache keeps cached responses: the
// contract a store implements, and what every store shares. The stores are
// packages of their own: backend/memory (in process, the default) and
// backend/redis (Redis standalone, Sentinel or Cluster); package
// backendtest is the conformance suite. This package depends on the
// standard library only, so a custom backend, and a binary that uses the
// memory backend, links no Redis client.
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
// bytes can use Entry.MarshalBinary and Entry.UnmarshalBinary (or
// DecodeString), and Match for glob patterns, so that it agrees with the
// built-in ones.
//
// # Optional interfaces
//
// A backend may also implement Kinder (its name in health reports), Local
// (no per-request deadline), Peeker (a hit path cheaper than Lookup),
// BreakerReporter (circuit breaker state) and Epocher (it can lose
// tokens). The cache finds them by type assertion; it never asserts a
// concrete backend type.
package backend
