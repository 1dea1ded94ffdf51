// Package near is a near cache: an in-process tier in front of the Redis
// backend that serves hits without a round trip and stays strictly
// coherent across the instances that share the Redis.
//
//	src, _ := redis.New("redis://cache:6379/0", redis.Options{}) // backend/redis
//	n, _ := near.New(src, near.Options{}) // Delta 5ms, 64 MiB
//	cache, _ := gincache.New(table, gincache.WithBackend(n))
//
// Turn it on in every instance or in none: the instances learn of each
// other's writes through what a near cache writes (see below).
//
// # What it holds
//
// Entries that a lookup found valid in Redis, with, for the entry's key
// and each of its tokens, a counter of the invalidations this process has
// received for it, as read before that lookup. A hit (Peek, the path the
// cache takes before building any name) is one map read and a few atomic
// loads; it is served only while every counter is unchanged, the entry is
// not past its stale window, and the lease holds. Bounded in bytes and
// evicted by W-TinyLFU (maypok86/otter).
//
// # The guarantee
//
// Once a client holds the 2xx of a write answered by any instance, no
// instance serves a near copy that the write made stale. It rests on:
//
//   - A channel per master: a connection of the near cache's own, in
//     RESP3, with CLIENT TRACKING ON BCAST on the entry namespace and on a
//     namespace of renewal markers, which Renew writes after renewing the
//     tokens. Redis queues the invalidation in the iteration that runs the
//     write.
//   - A lease: each channel is probed every Delta/4 (ROLE, one at a time;
//     a master that turned replica drops the channel). A probe's reply
//     follows every invalidation of a write that ran before the probe was
//     read, and replies and invalidations are applied in wire order. Near
//     hits are served only while the oldest channel's last answered probe
//     was sent less than Delta ago.
//   - A commit-wait: Renew returns Delta after the renewal landed, and the
//     cache answers a write only after its Renew returned. A read that
//     starts after the 2xx finds every instance either with the
//     invalidation applied or without its lease.
//   - A new channel connection drops every entry (invalidations may have
//     been missed), and a fill is kept only if no invalidation of its key
//     or tokens arrived from before its lookup to its insert: the counters
//     it recorded would have moved.
//
// Admin deletes and clears remove entry keys, which every channel tracks:
// they reach every instance's near cache. FLUSHDB and FLUSHALL drop
// everything.
//
// # What it costs
//
// Each write waits Delta more (5ms by default) and writes one marker key
// per renewed token; each instance sends 4/Delta probes a second per
// master; each store anywhere sends every instance one invalidation of
// that key. When a channel stalls for longer than Delta (a slow network,
// a busy Redis), hits go to Redis as without a near cache; when it is
// lost, or a probe goes unanswered for ProbeTimeout, the channel
// reconnects and the near cache starts empty.
//
// # Why not go-redis's client-side cache
//
// go-redis v9.23's client-side cache tracks keys in default mode on
// every pooled connection and applies the invalidations that a background
// drainer finds on idle connections: it documents itself as eventually
// consistent, with no bound on delivery, which the lease needs. It caches
// command replies, not decoded entries, so a hit would still decode. The
// channel here is a few hundred lines: one connection, a RESP3 reader, a
// probe.
package near
