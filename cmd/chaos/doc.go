// Command chaos is the chaos-and-load harness of gin-intelligent-cache: it
// runs replicas of the Quick Start API behind the cache on a real Redis,
// drives them with concurrent clients that write through one replica and
// read back through another, while it kills, freezes and restarts Redis
// and stalls one replica's link to it, and fails if any client ever saw
// something the cache must never cause.
//
//	go run ./cmd/chaos                                          # 3 instances, 2 minutes, 32 clients
//	go run ./cmd/chaos -instances 3 -duration 28s -clients 16   # what CI runs
//	go run ./cmd/chaos -instances 1 -duration 20s -clients 16   # one instance, as before
//	go run ./cmd/chaos -phases up=30s,partial=20s,up=10s -stall 3s -json
//
// It exits 0 when every check found nothing, 1 on any violation (or a run
// cut short by Ctrl-C), and 2 when it could not run (bad flags, no
// redis-server). docs/CHAOS.md explains the checks and shows a full run.
//
// # What runs
//
// The harness starts its own redis-server on a free loopback port, in a
// temporary directory, with persistence off (internal/redisserver). In
// process, it serves -instances replicas of the application, each with its
// own gincache.Cache, its own go-redis client (redis.New, key prefix
// "chaos") and its own HTTP server on a loopback port, all on one
// quickstart.Store (the database replicas share; its mutex makes it the
// exact truth) and one Redis. Each serves internal/quickstart's API and
// CachePolicies, mounted as example/redis mounts them, plus GET
// /me/profile (a tiny authentication middleware sets user_id from the
// X-User-ID header, and the route is cached with identity=user_id) and GET /,
// a digest of every version, which every write invalidates. Between the
// cache and the handlers a middleware sets X-Body-SHA256, the checksum of
// the body the handler wrote, which the cache stores and replays with the
// body. With two instances or more, instance #2 reaches Redis through a TCP
// proxy in the harness, which partial phases stall (both directions frozen,
// connections kept open). Everything listens on 127.0.0.1 only.
//
// # The schedule
//
// The run walks through phases, by default up, down, back, hung, back,
// partial, up (without partial for one instance), splitting -duration
// evenly: up leaves Redis running; down kills it (SIGKILL); back restarts
// it empty after down (or after a running phase), or resumes it (SIGCONT)
// after hung; hung freezes it (SIGSTOP), so that connections open and
// nothing answers; partial stalls instance #2's link for -stall, again and
// again, while the others keep theirs. crash, only with -phases, kills #2
// while its link is frozen and starts a fresh one: what its lost writes
// leave behind is measured, not blamed. The run stops at the end of the
// schedule or after -max-requests requests, whichever comes first; then,
// with no request in flight, a final sweep brings Redis back if needed,
// reads every resource through every instance until the cache serves it,
// and compares each answer with the store itself. redis-server is killed
// and its directory removed at the end, on error and on Ctrl-C; on Linux
// it is also killed if the harness dies.
//
// # The checks
//
// Every response is checked: no 5xx, no transport error, the expected
// status, a body matching its X-Body-SHA256 (hits included), and the
// resource asked for. Stale reads are decided by the order of events, not
// by time: a read that started after a client received a write's 2xx must
// not return an older version of what the write changed, whether it reads
// the resource alone, inside a list or inside the digest, through any
// instance, and an item whose creation was acknowledged must appear in its
// space's list. With several instances, every write is preceded by reads
// of what it changes through another instance (so that instance has it
// cached) and followed, right after the 2xx, by reads of it through that
// instance. Reads of the per-user route must return the asking user's
// profile. Stale reads are counted per phase and route kind with their
// window (the longest time from a 2xx to a read that missed it); latency
// percentiles, hit ratio and throughput per phase are reported, never
// asserted.
package main
