package main

import (
	"fmt"
	"strings"
)

// baselineOf is the contender each one is compared with: the physical
// limit of its backend for hits and parallel hits, the uncached handler
// for misses, the bare handler for bypasses.
func baselineOf(bench, mode, impl string) string {
	switch {
	case bench == "Miss" || mode == "miss":
		return "uncached"
	case (bench == "Hit" || bench == "Parallel" || mode == "hit") && isRedis(impl):
		return "redis-get"
	}
	return "bare"
}

// peerOf is chenyahui/gin-cache on the same backend, for gincache's rows.
func peerOf(impl string) string {
	if after, ok := strings.CutPrefix(impl, "gincache-"); ok {
		return "chenyahui-" + after
	}
	return ""
}

func isBaseline(impl string) bool {
	return impl == "bare" || impl == "uncached" || impl == "redis-get"
}

// inProcessTable is the table of BenchmarkHit, Miss or Bypass.
func inProcessTable(r *run, bench string) string {
	var rows [][]string
	for _, size := range r.keyValues(bench, "size") {
		for _, impl := range r.keyValues(bench, "impl") {
			s := pick(bench, "size", size, "impl", impl)
			if !r.has(s) {
				continue
			}
			row := []string{size, "`" + impl + "`"}
			base := baselineOf(bench, "", impl)
			if isBaseline(impl) {
				row = append(row, "baseline", "baseline")
			} else {
				b := pick(bench, "size", size, "impl", base)
				c, okc := r.ratio(s, b, "cpu-ns/op")
				w, okw := r.ratio(s, b, "ns/op")
				row = append(row, or(ratio(c), okc)+" `"+base+"`", or(ratio(w), okw))
			}
			if peer := peerOf(impl); peer != "" {
				c, ok := r.ratio(s, pick(bench, "size", size, "impl", peer), "cpu-ns/op")
				row = append(row, or(ratio(c), ok))
			} else {
				row = append(row, "")
			}
			ns, _ := r.median(s, "ns/op")
			cpu, _ := r.median(s, "cpu-ns/op")
			bop, _ := r.median(s, "B/op")
			allocs, _ := r.median(s, "allocs/op")
			row = append(row, dur(ns), dur(cpu), count(bop), num(allocs))
			if cmds, ok := r.median(s, "redis-cmds/op"); ok {
				keys, _ := r.median(s, "redis-keys/op")
				rcpu, _ := r.median(s, "redis-cpu-ns/op")
				trips, okt := r.median(s, "redis-trips/op")
				row = append(row, fmt.Sprintf("%s / %s / %s / %s", or(num(trips), okt), num(cmds), num(keys), dur(rcpu)))
			} else {
				row = append(row, "")
			}
			rows = append(rows, row)
		}
	}
	return table([]string{"payload", "contender", "CPU time × baseline", "wall time × baseline", "CPU time × chenyahui", "wall ns/op", "CPU ns/op", "B/op", "allocs/op", "Redis: round trips / commands / keys read / server CPU per op"}, rows)
}

// endToEndTable is BenchmarkEndToEnd's table for one case.
func endToEndTable(r *run, mode string) string {
	const bench = "EndToEnd"
	var rows [][]string
	for _, size := range r.keyValues(bench, "size") {
		for _, impl := range r.keyValues(bench, "impl") {
			s := pick(bench, "case", mode, "size", size, "impl", impl)
			if !r.has(s) {
				continue
			}
			row := []string{size, "`" + impl + "`"}
			if isBaseline(impl) {
				row = append(row, "baseline")
			} else {
				base := baselineOf(bench, mode, impl)
				x, ok := r.ratio(s, pick(bench, "case", mode, "size", size, "impl", base), "req/s")
				row = append(row, or(ratio(x), ok)+" `"+base+"`")
			}
			if peer := peerOf(impl); peer != "" {
				x, ok := r.ratio(s, pick(bench, "case", mode, "size", size, "impl", peer), "req/s")
				row = append(row, or(ratio(x), ok))
			} else {
				row = append(row, "")
			}
			rps, _ := r.median(s, "req/s")
			p50, _ := r.median(s, "p50-us")
			p99, _ := r.median(s, "p99-us")
			row = append(row, count(rps), dur(p50*1e3), dur(p99*1e3))
			rows = append(rows, row)
		}
	}
	return table([]string{"payload", "contender", "req/s × baseline", "req/s × chenyahui", "req/s", "p50", "p99"}, rows)
}

// parallelTable is BenchmarkParallel's table.
func parallelTable(r *run) string {
	const bench = "Parallel"
	var rows [][]string
	for _, par := range r.keyValues(bench, "par") {
		for _, impl := range r.keyValues(bench, "impl") {
			s := pick(bench, "par", par, "impl", impl)
			if !r.has(s) {
				continue
			}
			row := []string{par, "`" + impl + "`"}
			if isBaseline(impl) {
				row = append(row, "baseline")
			} else {
				base := baselineOf(bench, "", impl)
				// Throughput ratio: the baseline's time per op over ours.
				x, ok := r.ratio(pick(bench, "par", par, "impl", base), s, "ns/op")
				row = append(row, or(ratio(x), ok)+" `"+base+"`")
			}
			if peer := peerOf(impl); peer != "" {
				x, ok := r.ratio(pick(bench, "par", par, "impl", peer), s, "ns/op")
				row = append(row, or(ratio(x), ok))
			} else {
				row = append(row, "")
			}
			ns, _ := r.median(s, "ns/op")
			cpu, _ := r.median(s, "cpu-ns/op")
			allocs, _ := r.median(s, "allocs/op")
			row = append(row, count(1e9/ns), dur(cpu), num(allocs))
			rows = append(rows, row)
		}
	}
	return table([]string{"goroutines per core", "contender", "ops/s × baseline", "ops/s × chenyahui", "ops/s", "CPU ns/op", "allocs/op"}, rows)
}

// invalidateTable is BenchmarkInvalidate's table: a row per keyspace and
// fan-out, a column per contender.
func invalidateTable(r *run) string {
	const bench = "Invalidate"
	impls := r.keyValues(bench, "impl")
	header := []string{"keyspace", "fan-out"}
	for _, impl := range impls {
		header = append(header, "`"+impl+"`")
	}
	var rows [][]string
	for _, keys := range r.keyValues(bench, "keys") {
		for _, fan := range r.keyValues(bench, "fanout") {
			row := []string{count(atof(keys)), count(atof(fan))}
			for _, impl := range impls {
				ns, ok := r.median(pick(bench, "impl", impl, "keys", keys, "fanout", fan), "ns/op")
				row = append(row, or(dur(ns), ok))
			}
			rows = append(rows, row)
		}
	}
	return table(header, rows)
}

// footprintTable is BenchmarkFootprint's table.
func footprintTable(r *run) string {
	const bench = "Footprint"
	var rows [][]string
	for _, n := range r.keyValues(bench, "entries") {
		for _, impl := range r.keyValues(bench, "impl") {
			s := pick(bench, "entries", n, "impl", impl)
			if !r.has(s) {
				continue
			}
			heap, _ := r.median(s, "heap-MiB")
			hx, _ := r.median(s, "heap-x-payload")
			row := []string{count(atof(n)), "`" + impl + "`", fmt.Sprintf("%.1f MiB", heap), ratio(hx)}
			if used, ok := r.median(s, "redis-MiB"); ok {
				ux, _ := r.median(s, "redis-x-payload")
				row = append(row, fmt.Sprintf("%.1f MiB", used), ratio(ux))
			} else {
				row = append(row, "", "")
			}
			fillNs, _ := r.median(s, "ns/op")
			row = append(row, dur(fillNs))
			rows = append(rows, row)
		}
	}
	return table([]string{"responses", "contender", "process heap", "heap × payload", "Redis used_memory", "used_memory × payload", "time to fill"}, rows)
}

// cachegenTable is BenchmarkCachegen's table.
func cachegenTable(r *run) string {
	const bench = "Cachegen"
	var rows [][]string
	for _, pkg := range r.keyValues(bench, "pkg") {
		s := pick(bench, "pkg", pkg)
		ns, _ := r.median(s, "ns/op")
		load, _ := r.median(s, "load-ms")
		an, _ := r.median(s, "analysis-ms")
		rows = append(rows, []string{pkg, dur(ns), dur(load * 1e6), dur(an * 1e6)})
	}
	return table([]string{"package", "whole run", "loading (go list, type checking)", "cachegen's analysis"}, rows)
}

func atof(s string) float64 {
	var f float64
	fmt.Sscan(s, &f)
	return f
}
