package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const nearSample = `BenchmarkNearHit/size=1KiB/impl=gincache-memory/round=0-2 	 1000	 2000 ns/op	 3000 cpu-ns/op	 2000 B/op	 8 allocs/op
BenchmarkNearHit/size=1KiB/impl=gincache-near/round=0-2    	 1000	 2200 ns/op	 3300 cpu-ns/op	 2000 B/op	 8 allocs/op	 0.9990 near-share
BenchmarkNearHit/size=1KiB/impl=gincache-redis/round=0-2   	 1000	 60000 ns/op	 45000 cpu-ns/op	 5000 B/op	 31 allocs/op
BenchmarkNearHit/size=1KiB/impl=gincache-near-slow/round=0-2	 1000	 2600 ns/op	 3000 cpu-ns/op	 2000 B/op	 8 allocs/op	 1.000 near-share
BenchmarkNearHit/size=1KiB/impl=gincache-memory/round=1-2 	 1000	 1000 ns/op	 1500 cpu-ns/op	 2000 B/op	 8 allocs/op
BenchmarkNearHit/size=1KiB/impl=gincache-near/round=1-2    	 1000	 1000 ns/op	 1500 cpu-ns/op	 2000 B/op	 8 allocs/op	 1.000 near-share
BenchmarkNearHit/size=1KiB/impl=gincache-redis/round=1-2   	 1000	 30000 ns/op	 22500 cpu-ns/op	 5000 B/op	 31 allocs/op
BenchmarkNearHit/size=1KiB/impl=gincache-near-slow/round=1-2	 1000	 1300 ns/op	 1500 cpu-ns/op	 2000 B/op	 8 allocs/op	 1.000 near-share
BenchmarkNearEndToEnd/case=hit/size=1KiB/impl=gincache-memory/round=0-2	 1000	 20000 ns/op	 40000 req/s	 5000 cpu-ns/op	 150.0 p50-us	 2000 p99-us
BenchmarkNearEndToEnd/case=hit/size=1KiB/impl=gincache-near/round=0-2 	 1000	 20000 ns/op	 38000 req/s	 5100 cpu-ns/op	 150.0 p50-us	 1800 p99-us	 0.9940 near-share
BenchmarkNearEndToEnd/case=hit/size=1KiB/impl=gincache-near-slow/round=0-2	 1000	 20000 ns/op	 32000 req/s	 5500 cpu-ns/op	 160.0 p50-us	 2000 p99-us	 1.000 near-share
BenchmarkNearRenew/impl=gincache-redis/round=0-2         	 200	 80000 ns/op
BenchmarkNearRenew/impl=gincache-near-5ms0s/round=0-2    	 200	 5600000 ns/op
BenchmarkNearRenew/impl=gincache-redis/round=1-2         	 200	 90000 ns/op
BenchmarkNearRenew/impl=gincache-near-5ms0s/round=1-2    	 200	 5400000 ns/op
`

// The near tables compare each contender with the memory hit round by
// round and judge issue 17's targets on the near contenders only: the
// direct near hit at 1.10× in wall and CPU time (round 0) and 1.00×
// (round 1), median 1.05×, within 1.2×; the slow one at 1.30× wall
// (medians 1.30×), over it; end to end 0.95× and 0.80× the requests.
func TestNearTables(t *testing.T) {
	r, err := parse(strings.NewReader(nearSample))
	require.NoError(t, err)

	hit := nearHitTable(r)
	assert.Contains(t, hit, "| 1KiB | `gincache-near` | 1.05× | 1.05× | 1.00× (8) | 0.9995 | **met** |", "near hit row:\n%s", hit)
	assert.Contains(t, hit, "| 1KiB | `gincache-near-slow` | 1.30× | 1.00× | 1.00× (8) | 1.0000 | **not met**: worst 1.30× against 1.20× |", "slow near hit row:\n%s", hit)
	assert.Contains(t, hit, "| 1KiB | `gincache-redis` | 30.00× | 15.00× | 3.88× (31) |  |  |", "Redis row, no target:\n%s", hit)
	assert.NotContains(t, hit, "`gincache-memory`", "the baseline has a row:\n%s", hit)

	e2e := nearEndToEndTable(r)
	assert.Contains(t, e2e, "| 1KiB | `gincache-near` | 0.95× | 1.02× | 1.00× | 0.90× | 0.9940 | **met** |", "near end-to-end row:\n%s", e2e)
	assert.Contains(t, e2e, "| 1KiB | `gincache-near-slow` | 0.80× | 1.10× | 1.07× | 1.00× | 1.0000 | **not met**: 0.80× against 0.90× |", "slow near end-to-end row:\n%s", e2e)

	renew := nearRenewTable(r)
	assert.Contains(t, renew, "| `gincache-redis` | 85 µs |", "renew table:\n%s", renew)
	assert.Contains(t, renew, "| `gincache-near-5ms0s` | 5.50 ms |", "renew table:\n%s", renew)
}

// A run without the near benchmarks (an older saved output) gives tables
// with their headers only, not an error.
func TestNearTablesOfARunWithoutThem(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	for name, tab := range map[string]string{"hit": nearHitTable(r), "e2e": nearEndToEndTable(r), "renew": nearRenewTable(r)} {
		assert.Equal(t, 2, strings.Count(tab, "\n"), "%s: want the header and the rule only:\n%s", name, tab)
	}
}

// Issue 16's Redis hit rows through the near cache: the in-process ratio
// is chenyahui/gin-cache's wall time over the near hit's, per round
// (60000/1200 = 50×, 30000/1000 = 30×, median 40×); end to end the req/s
// ratio (1.40× at 1 KiB, under the bound; 2.00× at 16 KiB). A size whose
// near contender did not run (256 KiB) is left out, not failed.
func TestPeerNearTable(t *testing.T) {
	const out = `BenchmarkNearHit/size=1KiB/impl=chenyahui-redis/round=0-2 	 100	 60000 ns/op
BenchmarkNearHit/size=1KiB/impl=gincache-near/round=0-2 	 100	 1200 ns/op	 1.001 near-share
BenchmarkNearHit/size=1KiB/impl=chenyahui-redis/round=1-2 	 100	 30000 ns/op
BenchmarkNearHit/size=1KiB/impl=gincache-near/round=1-2 	 100	 1000 ns/op	 0.999 near-share
BenchmarkNearHit/size=256KiB/impl=chenyahui-redis/round=0-2 	 100	 90000 ns/op
BenchmarkNearEndToEnd/case=hit/size=1KiB/impl=chenyahui-redis/round=0-2 	 100	 1000 ns/op	 20000 req/s
BenchmarkNearEndToEnd/case=hit/size=1KiB/impl=gincache-near/round=0-2 	 100	 1000 ns/op	 28000 req/s	 0.9900 near-share
BenchmarkNearEndToEnd/case=hit/size=16KiB/impl=chenyahui-redis/round=0-2 	 100	 1000 ns/op	 10000 req/s
BenchmarkNearEndToEnd/case=hit/size=16KiB/impl=gincache-near/round=0-2 	 100	 1000 ns/op	 20000 req/s	 1.000 near-share
`
	r, err := parse(strings.NewReader(out))
	require.NoError(t, err)
	tbl := peerNearTable(r)
	assert.Contains(t, tbl, "| 40.00× 1KiB | 1.0000 1KiB | **met** |", "in-process row:\n%s", tbl)
	assert.Contains(t, tbl, "| 1.40× 1KiB, 2.00× 16KiB | 0.9900 1KiB, 1.0000 16KiB | **not met**: 1.40× against 1.50× |", "end-to-end row:\n%s", tbl)
}
