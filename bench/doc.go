// Package bench measures gin-intelligent-cache side by side with its peers
// and with the physical limits, in one run, and publishes the figures.
//
// It is a module of its own so that the peers it imports
// (chenyahui/gin-cache and its go-redis v8) never enter the dependency
// graph of the library's users. It requires the main module through a
// replace directive, so it always measures the code beside it.
//
// # What is measured
//
// Every comparison runs the contenders alternately, in rounds, in the same
// process (sub-benchmarks named .../impl=NAME/round=N), so that a noisy
// neighbour on a shared machine slows all of them rather than one; the
// report takes the median of the per-round ratios. The contenders:
//
//	bare              a Gin handler writing the payload with c.Data: the limit for a hit
//	uncached          a Gin handler encoding a JSON document of the payload size with encoding/json: the miss baseline
//	redis-get         a Gin handler doing one go-redis GET plus c.Data: the limit for a Redis hit
//	gincache-memory   this library, memory backend
//	gincache-redis    this library, redis.New on a throwaway redis-server
//	chenyahui-memory  chenyahui/gin-cache v1.10.0, CacheByRequestURI on its memory store
//	chenyahui-redis   chenyahui/gin-cache v1.10.0, CacheByRequestURI on its Redis store
//
// Benchmarks: BenchmarkHit, BenchmarkMiss and BenchmarkBypass (in process,
// payloads of 1, 16 and 256 KiB), BenchmarkEndToEnd (the same over
// loopback HTTP/1.1: requests per second, p50 and p99), BenchmarkParallel
// (hits at 1, 2 and 8 goroutines per core), BenchmarkInvalidate (against
// keyspace size and fan-out), BenchmarkFootprint (process heap and Redis
// used_memory for 10,000 and 100,000 responses of 1 KiB),
// BenchmarkCachegen, and BenchmarkStoreLayout (a Redis miss's lookup and
// store at the backend, laid out four ways: what the conditional store
// costs the server; the report does not run it). Each one checks the
// state it claims: a hit must not run the handler, a miss and a bypass
// must run it once per request, bodies must have the payload's length,
// and this library's X-Cache header must say HIT, MISS or SKIP as
// claimed; BenchmarkStoreLayout, that every lookup misses and every
// store succeeds.
//
// # Running
//
// Every benchmark once, as CI does (seconds, not a measurement):
//
//	go test -run '^$' -bench . -benchtime 1x ./...
//
// The full run, which rewrites BENCHMARKS.md's tables and the charts
// under docs/bench/ (about half an hour on two cores):
//
//	go run ./cmd/report
//
// Redis benchmarks start their own redis-server on a free loopback port;
// without one on the PATH they are skipped, unless GINCACHE_REQUIRE_REDIS
// is set, which fails them.
//
// # Reading the output
//
// The output is benchstat's format. Besides ns/op, B/op and allocs/op the
// benchmarks report cpu-ns/op (the process's CPU time per operation, from
// getrusage: robust to other processes on the machine), and on Redis
// redis-cpu-ns/op, redis-cmds/op and redis-keys/op (from INFO: what each
// operation costs the server; end-to-end runs too, since the server shares
// the cores with the client and the HTTP server there). End-to-end runs
// report req/s, p50-us and p99-us. Compare two runs with benchstat,
// ignoring the round:
//
//	benchstat -ignore round old.txt new.txt
package bench
