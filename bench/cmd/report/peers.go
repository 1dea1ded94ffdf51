package main

import (
	"fmt"
	"math"
	"strings"
)

// peerTargetsTable holds the targets against chenyahui/gin-cache (issue
// 16): every row a user choosing a Gin cache compares. Each row lists the
// figure at every payload size the run measured, and the verdict is met
// only if every size meets it.
func peerTargetsTable(r *run) string {
	var rows [][]string
	add := func(target, figs string, all, measured bool, miss string) {
		rows = append(rows, []string{target, figs, verdict(all, measured, miss)})
	}
	in := []string{"1KiB", "16KiB", "256KiB"}
	e2eSizes := r.keyValues("EndToEnd", "size")
	inProc := func(bench, a, b, unit string) func(string) (float64, bool) {
		return func(size string) (float64, bool) {
			return r.ratio(pick(bench, "size", size, "impl", a), pick(bench, "size", size, "impl", b), unit)
		}
	}
	e2e := func(mode, a, b string) func(string) (float64, bool) {
		return func(size string) (float64, bool) {
			return r.ratio(pick("EndToEnd", "case", mode, "size", size, "impl", a), pick("EndToEnd", "case", mode, "size", size, "impl", b), "req/s")
		}
	}
	atMost := func(bound float64) func(float64) bool { return func(x float64) bool { return x <= bound } }
	atLeast := func(bound float64) func(float64) bool { return func(x float64) bool { return x >= bound } }
	over := func(x, bound float64) string { return fmt.Sprintf("%s against %s", ratio(x), ratio(bound)) }

	f, all, ok, w := each(in, inProc("Hit", "gincache-memory", "chenyahui-memory", "cpu-ns/op"), atMost(0.9))
	add("Memory hit: CPU time at most 0.9× chenyahui/gin-cache's (every size)", f, all, ok, over(w, 0.9))
	f, all, ok, w = each([]string{"1KiB"}, inProc("Hit", "gincache-memory", "bare", "cpu-ns/op"), atMost(1.2))
	add("Memory hit: CPU time at most 1.2× the bare handler's (1 KiB)", f, all, ok, over(w, 1.2))
	f, all, ok, w = each([]string{"1KiB"}, e2e("hit", "gincache-memory", "bare"), atLeast(0.95))
	add("Memory hit, end to end: at least 0.95× the bare handler's req/s", f, all, ok, over(w, 0.95))

	f, all, ok, w = each(in, inProc("Miss", "gincache-memory", "chenyahui-memory", "cpu-ns/op"), atMost(0.9))
	add("Memory miss: CPU time at most 0.9× chenyahui/gin-cache's (every size)", f, all, ok, over(w, 0.9))
	f, all, ok, w = each(e2eSizes, e2e("miss", "gincache-memory", "chenyahui-memory"), atLeast(1))
	add("Memory miss, end to end: at least 1.0× chenyahui/gin-cache's req/s", f, all, ok, over(w, 1))
	f, all, ok, w = each([]string{"16KiB"}, inProc("Miss", "gincache-memory", "uncached", "cpu-ns/op"), atMost(1.1))
	add("Memory miss: CPU time at most 1.10× the handler uncached (16 KiB JSON)", f, all, ok, over(w, 1.1))

	var trips []string
	allTwo, measured := true, false
	for _, size := range in {
		s := pick("Miss", "size", size, "impl", "gincache-redis")
		if t, ok := r.median(s, "redis-trips/op"); ok {
			measured = true
			fig := fmt.Sprintf("%s %s", num(t), size)
			// The server's reads of requests beside its reply writes: a
			// pipeline read in two parts counts one more of each
			// (bench/meter_test.go, redisStats.reads).
			if rd, ok := r.median(s, "redis-reads/op"); ok {
				fig += fmt.Sprintf(" (%s reads)", num(rd))
			}
			trips = append(trips, fig)
			allTwo = allTwo && t <= 2
		}
	}
	add("Redis miss: two round trips (standalone; server statistics)", strings.Join(trips, ", "), allTwo, measured, "more than two")
	f, all, ok, w = each(in, inProc("Miss", "gincache-redis", "chenyahui-redis", "ns/op"), atMost(1))
	add("Redis miss: wall time at most chenyahui/gin-cache's (every size)", f, all, ok, over(w, 1))
	f, all, ok, w = each(e2eSizes, e2e("miss", "gincache-redis", "chenyahui-redis"), atLeast(1))
	add("Redis miss, end to end: at least 1.0× chenyahui/gin-cache's req/s", f, all, ok, over(w, 1))

	f, all, ok, w = each(in, inProc("Hit", "chenyahui-redis", "gincache-redis", "ns/op"), atLeast(1.5))
	add("Redis hit: at least 1.5× chenyahui/gin-cache's throughput, in process (wall)", f, all, ok, over(w, 1.5))
	f, all, ok, w = each(e2eSizes, e2e("hit", "gincache-redis", "chenyahui-redis"), atLeast(1.5))
	add("Redis hit, end to end: at least 1.5× chenyahui/gin-cache's req/s", f, all, ok, over(w, 1.5))

	hx, okx := r.median(pick("Footprint", "entries", "10000", "impl", "gincache-memory"), "heap-x-payload")
	add("Memory backend: 10,000 × 1 KiB in at most 1.3× the payload bytes", ratio(hx)+" the payload", hx <= 1.3, okx, over(hx, 1.3))

	return table([]string{"target", "measured on this machine", "verdict"}, rows)
}

// each evaluates f at every size and joins the figures, "1.20× 1KiB,
// ...". It reports whether ok held at every size measured, whether any
// was, and the first figure that failed (NaN if none).
func each(sizes []string, f func(size string) (float64, bool), ok func(float64) bool) (string, bool, bool, float64) {
	var figs []string
	all, seen, worst := true, false, math.NaN()
	for _, size := range sizes {
		x, measured := f(size)
		if !measured {
			continue
		}
		seen = true
		figs = append(figs, fmt.Sprintf("%s %s", ratio(x), size))
		if !ok(x) {
			all = false
			if math.IsNaN(worst) {
				worst = x
			}
		}
	}
	return strings.Join(figs, ", "), all, seen, worst
}

// peerNearTable holds issue 16's two Redis hit rows read again with the
// near cache (backend/near, gincache-near) in front of the same Redis:
// chenyahui-redis runs in the near benchmarks (bench/near_test.go) for
// it, at the sizes they ran. The near cache is a deployment choice, not
// the default, so peerTargetsTable's rows keep their verdicts and these
// stand apart. near-share is the share of the timed hits the near cache
// answered.
func peerNearTable(r *run) string {
	var rows [][]string
	atLeast := func(x float64) bool { return x >= 1.5 }
	share := func(sizes []string, s func(size string) sel) string {
		var figs []string
		for _, size := range sizes {
			if v, ok := r.median(s(size), "near-share"); ok {
				figs = append(figs, fmt.Sprintf("%.4f %s", v, size))
			}
		}
		return strings.Join(figs, ", ")
	}
	in := r.keyValues("NearHit", "size")
	hit := func(size string) sel { return pick("NearHit", "size", size, "impl", "gincache-near") }
	f, all, ok, w := each(in, func(size string) (float64, bool) {
		return r.ratio(pick("NearHit", "size", size, "impl", "chenyahui-redis"), hit(size), "ns/op")
	}, atLeast)
	rows = append(rows, []string{"Redis hit through the near cache: at least 1.5× chenyahui/gin-cache's Redis hit throughput, in process (wall)",
		f, share(in, hit), verdict(all, ok, fmt.Sprintf("%s against 1.50×", ratio(w)))})
	e2eSizes := r.keyValues("NearEndToEnd", "size")
	e2eHit := func(size string) sel {
		return pick("NearEndToEnd", "case", "hit", "size", size, "impl", "gincache-near")
	}
	f, all, ok, w = each(e2eSizes, func(size string) (float64, bool) {
		return r.ratio(e2eHit(size), pick("NearEndToEnd", "case", "hit", "size", size, "impl", "chenyahui-redis"), "req/s")
	}, atLeast)
	rows = append(rows, []string{"Redis hit through the near cache, end to end: at least 1.5× chenyahui/gin-cache's Redis hit req/s",
		f, share(e2eSizes, e2eHit), verdict(all, ok, fmt.Sprintf("%s against 1.50×", ratio(w)))})
	return table([]string{"target", "measured on this machine", "near-share", "verdict"}, rows)
}
