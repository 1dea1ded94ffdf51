package main

import "fmt"

// The near cache's tables (bench/near_test.go): every contender against
// gincache-memory, the memory backend's hit, with issue 17's targets.

// nearBase is what the near cache is measured against.
const nearBase = "gincache-memory"

// isNear reports whether a contender is a near cache.
func isNear(impl string) bool { return impl == "gincache-near" || impl == "gincache-near-slow" }

// nearHitTable is BenchmarkNearHit's table: wall time, CPU time and
// allocations against the memory hit. A near hit must stay within 1.2× of
// it in each, direct or with Redis 0.5 ms away.
func nearHitTable(r *run) string {
	const bench = "NearHit"
	var rows [][]string
	for _, size := range r.keyValues(bench, "size") {
		base := pick(bench, "size", size, "impl", nearBase)
		for _, impl := range r.keyValues(bench, "impl") {
			s := pick(bench, "size", size, "impl", impl)
			if impl == nearBase || !r.has(s) {
				continue
			}
			w, okw := r.ratio(s, base, "ns/op")
			c, okc := r.ratio(s, base, "cpu-ns/op")
			a, oka := r.ratio(s, base, "allocs/op")
			allocs, _ := r.median(s, "allocs/op")
			share, oks := r.median(s, "near-share")
			target := ""
			if isNear(impl) {
				target = verdict(w <= 1.2 && c <= 1.2 && a <= 1.2, okw && okc && oka, fmt.Sprintf("worst %s against 1.20×", ratio(max(w, c, a))))
			}
			rows = append(rows, []string{size, "`" + impl + "`", or(ratio(w), okw), or(ratio(c), okc),
				or(ratio(a), oka) + " (" + num(allocs) + ")", orBlank(fmt.Sprintf("%.4f", share), oks), target})
		}
	}
	return table([]string{"payload", "contender", "wall time × memory", "CPU time × memory", "allocs × memory", "near-share", "target: at most 1.2× in each (near)"}, rows)
}

// nearEndToEndTable is BenchmarkNearEndToEnd's table: requests per second
// and latency against the memory hit over loopback HTTP. The near cache
// must serve at least 0.9× the memory backend's requests per second.
func nearEndToEndTable(r *run) string {
	const bench = "NearEndToEnd"
	var rows [][]string
	for _, size := range r.keyValues(bench, "size") {
		base := pick(bench, "case", "hit", "size", size, "impl", nearBase)
		for _, impl := range r.keyValues(bench, "impl") {
			s := pick(bench, "case", "hit", "size", size, "impl", impl)
			if impl == nearBase || !r.has(s) {
				continue
			}
			rps, okr := r.ratio(s, base, "req/s")
			c, okc := r.ratio(s, base, "cpu-ns/op")
			p50, ok50 := r.ratio(s, base, "p50-us")
			p99, ok99 := r.ratio(s, base, "p99-us")
			share, oks := r.median(s, "near-share")
			target := ""
			if isNear(impl) {
				target = verdict(rps >= 0.9, okr, fmt.Sprintf("%s against 0.90×", ratio(rps)))
			}
			rows = append(rows, []string{size, "`" + impl + "`", or(ratio(rps), okr), or(ratio(c), okc), or(ratio(p50), ok50),
				or(ratio(p99), ok99), orBlank(fmt.Sprintf("%.4f", share), oks), target})
		}
	}
	return table([]string{"payload", "contender", "req/s × memory", "CPU time × memory", "p50 × memory", "p99 × memory", "near-share", "target: at least 0.9× req/s (near)"}, rows)
}

// nearRenewTable is BenchmarkNearRenew's table: the time of a write's
// invalidation (Renew of four tokens), on Redis and through the near
// cache at each δ (its commit-wait).
func nearRenewTable(r *run) string {
	const bench = "NearRenew"
	var rows [][]string
	for _, impl := range r.keyValues(bench, "impl") {
		ns, ok := r.median(pick(bench, "impl", impl), "ns/op")
		rows = append(rows, []string{"`" + impl + "`", or(dur(ns), ok)})
	}
	return table([]string{"contender", "a write's invalidation (median)"}, rows)
}

// orBlank is s, or nothing when the figure is missing.
func orBlank(s string, ok bool) string {
	if !ok {
		return ""
	}
	return s
}
