// Command chaos is the chaos-and-load harness of gin-intelligent-cache: it
// runs the Quick Start API behind the cache on a real Redis, drives it
// with concurrent clients while it kills, freezes and restarts Redis, and
// fails if any client ever saw something the cache must never cause.
//
//	go run ./cmd/chaos                         # 2 minutes, 32 clients
//	go run ./cmd/chaos -duration 20s -clients 16
//	go run ./cmd/chaos -phases up=30s,hung=10s,up=30s -json
//
// It exits 0 when every check found nothing, 1 on any violation (or a run
// cut short by Ctrl-C), and 2 when it could not run (bad flags, no
// redis-server). docs/CHAOS.md explains the checks and shows a full run.
//
// # What runs
//
// The harness starts its own redis-server on a free loopback port, in a
// temporary directory, with persistence off (internal/redisserver). In
// process, it serves example/quickstart's API and CachePolicies behind
// gincache on backend.NewRedis (key prefix "chaos"), mounted as
// example/redis mounts them, plus GET /me/profile: a tiny authentication
// middleware sets user_id from the X-User-ID header, and the route is
// cached with identity=user_id. Between the cache and the handlers a
// middleware sets X-Body-SHA256, the checksum of the body the handler
// wrote, which the cache stores and replays with the body. Everything
// listens on 127.0.0.1 only.
//
// # The schedule
//
// The run walks through phases, by default up, down, back, hung, back,
// up, each a sixth of -duration: up leaves Redis running; down kills it
// (SIGKILL); back restarts it empty after down (or after a running
// phase), or resumes it (SIGCONT) after hung; hung freezes it (SIGSTOP),
// so that connections open and nothing answers. -phases gives any
// sequence. The run stops at the end of the schedule or after
// -max-requests requests, whichever comes first; then, with no request in
// flight, a final sweep brings Redis back if needed, reads every resource
// until the cache serves it, and compares each answer with the store
// itself. redis-server is killed and its directory
// removed at the end, on error and on Ctrl-C; on Linux it is also killed
// if the harness dies.
//
// # The checks
//
// Every response is checked: no 5xx, no transport error, the expected
// status, a body matching its X-Body-SHA256 (hits included), and the
// resource asked for. Stale reads are decided by the order of events, not
// by time: a read that started after a client received a write's 2xx must
// not return an older version of what the write changed, whether it reads
// the resource alone or inside a list, and an item whose creation was
// acknowledged must appear in its space's list. Reads of the per-user
// route must return the asking user's profile. Latency percentiles and
// throughput per phase are reported, never asserted.
package main
