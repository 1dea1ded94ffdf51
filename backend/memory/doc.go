// Package memory is the in-process backend, the one gincache uses when
// given none: New returns a byte-bounded store (default 64 MiB), evicting
// the least recently used entries (sampled LRU) and sweeping expired
// entries and tokens in the background. It implements backend.Peeker, the
// hit path gincache takes before Lookup. It does not depend on go-redis.
//
// Each instance of an application has its own memory backend, so a write
// invalidates only the instance that served it: use backend/redis when
// several instances serve the same data.
package memory
