package main

import (
	"fmt"
	"math"
	"strings"
)

// verdict says whether a measured value meets a target, and by how much
// it misses.
func verdict(ok, measured bool, miss string) string {
	switch {
	case !measured:
		return "not measured in this run"
	case ok:
		return "**met**"
	}
	return "**not met**: " + miss
}

// targetsTable compares DESIGN.md's performance targets with the run.
// Ratios are medians of per-round ratios; in-process time ratios are on
// CPU time (robust to other processes), with wall time beside them.
func targetsTable(r *run) string {
	var rows [][]string
	add := func(target, measured, v string) { rows = append(rows, []string{target, measured, v}) }
	hit := func(impl string) sel { return pick("Hit", "size", "1KiB", "impl", impl) }

	cpu, ok1 := r.ratio(hit("gincache-memory"), hit("bare"), "cpu-ns/op")
	wall, _ := r.ratio(hit("gincache-memory"), hit("bare"), "ns/op")
	add("Memory hit, in process: at most 1.3× the bare handler's time (1 KiB)",
		fmt.Sprintf("%s CPU time, %s wall time", ratio(cpu), ratio(wall)),
		verdict(cpu <= 1.3, ok1, fmt.Sprintf("%.0f%% over the 1.3× bound", (cpu/1.3-1)*100)))

	vs, ok2 := r.ratio(hit("gincache-memory"), hit("chenyahui-memory"), "cpu-ns/op")
	vsw, _ := r.ratio(hit("gincache-memory"), hit("chenyahui-memory"), "ns/op")
	add("Memory hit: no slower than chenyahui/gin-cache's hit",
		fmt.Sprintf("%s its CPU time, %s its wall time", ratio(vs), ratio(vsw)),
		verdict(vs <= 1.0, ok2, fmt.Sprintf("%.0f%% slower", (vs-1)*100)))

	ours, ok3 := r.median(hit("gincache-memory"), "allocs/op")
	bare, _ := r.median(hit("bare"), "allocs/op")
	add("Memory hit: at most 2 allocations beyond the bare handler's",
		fmt.Sprintf("%s allocs/op against %s (%+.0f)", num(ours), num(bare), ours-bare),
		verdict(ours-bare <= 2, ok3, fmt.Sprintf("%.0f allocations too many", ours-bare-2)))

	e2e := func(impl string) sel { return pick("EndToEnd", "case", "hit", "size", "1KiB", "impl", impl) }
	x, ok4 := r.ratio(e2e("gincache-memory"), e2e("bare"), "req/s")
	add("Memory hit, end to end: at least 0.95× the bare handler's requests per second",
		ratio(x), verdict(x >= 0.95, ok4, fmt.Sprintf("%.0f%% below the 0.95× bound", (1-x/0.95)*100)))

	// Throughput ratio in process: the raw GET's time over ours.
	rg, ok5 := r.ratio(hit("redis-get"), hit("gincache-redis"), "ns/op")
	rge, _ := r.ratio(e2e("gincache-redis"), e2e("redis-get"), "req/s")
	add("Redis hit: at least 0.9× the throughput of one go-redis GET plus c.Data",
		fmt.Sprintf("%s in process (wall), %s end to end", ratio(rg), ratio(rge)),
		verdict(rg >= 0.9 && rge >= 0.9, ok5, fmt.Sprintf("worst %.0f%% below the 0.9× bound", (1-math.Min(rg, rge)/0.9)*100)))

	cy, ok6 := r.ratio(hit("chenyahui-redis"), hit("gincache-redis"), "ns/op")
	cye, _ := r.ratio(e2e("gincache-redis"), e2e("chenyahui-redis"), "req/s")
	add("Redis hit: at least 1.1× chenyahui/gin-cache's Redis hit throughput",
		fmt.Sprintf("%s in process (wall), %s end to end", ratio(cy), ratio(cye)),
		verdict(cy >= 1.1 && cye >= 1.1, ok6, fmt.Sprintf("worst %.0f%% below the 1.1× bound", (1-math.Min(cy, cye)/1.1)*100)))

	ra, ok7 := r.median(hit("gincache-redis"), "allocs/op")
	add("Redis hit: under 50 allocations", num(ra)+" allocs/op", verdict(ra < 50, ok7, fmt.Sprintf("%.0f allocations", ra)))

	cmds, ok8 := r.median(hit("gincache-redis"), "redis-cmds/op")
	keys, _ := r.median(hit("gincache-redis"), "redis-keys/op")
	add("Redis hit: reads 5 to 9 keys, the tokens in one MGET, one round trip",
		fmt.Sprintf("%s keys read in %s command(s) per hit", num(keys), num(cmds)),
		verdict(keys >= 5 && keys <= 9 && cmds == 1, ok8, "see the figures"))

	miss := func(impl string) sel { return pick("Miss", "size", "16KiB", "impl", impl) }
	m, ok9 := r.ratio(miss("gincache-memory"), miss("uncached"), "cpu-ns/op")
	mw, _ := r.ratio(miss("gincache-memory"), miss("uncached"), "ns/op")
	add("Miss overhead: under 5% against the same handler uncached (16 KiB JSON, encoding/json)",
		fmt.Sprintf("%+.0f%% CPU time, %+.0f%% wall time (memory backend)", (m-1)*100, (mw-1)*100),
		verdict(m < 1.05, ok9, fmt.Sprintf("%.0f%% against 5%%", (m-1)*100)))

	worst, where, ok10 := 0.0, "", false
	for _, res := range r.results {
		if res.bench == "Invalidate" && strings.HasPrefix(res.keys["impl"], "gincache-") {
			if ns := res.metrics["ns/op"]; ns > worst {
				worst, ok10 = ns, true
				where = fmt.Sprintf("%s, %s keys, fan-out %s", res.keys["impl"], count(atof(res.keys["keys"])), count(atof(res.keys["fanout"])))
			}
		}
	}
	add("Invalidation: under 1 ms at any fan-out and keyspace size",
		fmt.Sprintf("worst %s (%s)", dur(worst), where), verdict(worst < 1e6, ok10, "over 1 ms"))

	fp := func(impl string) sel { return pick("Footprint", "entries", "10000", "impl", impl) }
	used, ok11 := r.median(fp("gincache-redis"), "redis-MiB")
	add("Memory: 10,000 responses of 1 KiB at 10,000 paths in under 20 MB of Redis used_memory",
		fmt.Sprintf("%.1f MB (%.1f MiB)", used*1.048576, used), verdict(used*1.048576 < 20, ok11, fmt.Sprintf("%.1f MB over", used*1.048576-20)))
	hx, ok12 := r.median(fp("gincache-memory"), "heap-x-payload")
	add("Memory: the same in under 1.5× the payload bytes in process (memory backend)",
		ratio(hx)+" the payload", verdict(hx < 1.5, ok12, fmt.Sprintf("%.0f%% over the 1.5× bound", (hx/1.5-1)*100)))

	// fastapi-intelligent-cache's published figures, for the record.
	p99, ok13 := r.median(e2e("gincache-redis"), "p99-us")
	p99m, _ := r.median(e2e("gincache-memory"), "p99-us")
	add("(fastapi-intelligent-cache) p99 under 5 ms per hit",
		fmt.Sprintf("%s on memory, %s on Redis, end to end under full load", dur(p99m*1e3), dur(p99*1e3)),
		verdict(p99 < 5000 && p99m < 5000, ok13, "over 5 ms"))
	ov, ok14 := r.median(miss("gincache-redis"), "ns/op")
	un, _ := r.median(miss("uncached"), "ns/op")
	add("(fastapi-intelligent-cache) under 10 ms miss overhead",
		fmt.Sprintf("%s on Redis (16 KiB)", dur(ov-un)), verdict(ov-un < 1e7, ok14, "over 10 ms"))
	inv, ok15 := r.median(pick("Invalidate", "impl", "gincache-redis", "keys", "1000000", "fanout", "10000"), "ns/op")
	add("(fastapi-intelligent-cache) under 50 ms to invalidate 1,000 keys",
		fmt.Sprintf("%s for 10,000 entries among a million keys (Redis)", dur(inv)), verdict(inv < 5e7, ok15, "over 50 ms"))
	heap, ok16 := r.median(fp("gincache-memory"), "heap-MiB")
	add("(fastapi-intelligent-cache) under 100 MB for 10,000 responses",
		fmt.Sprintf("%.1f MiB heap (memory), %.1f MiB used_memory (Redis)", heap, used), verdict(heap < 95 && used < 95, ok16, "over 100 MB"))

	return table([]string{"target", "measured on this machine", "verdict"}, rows)
}

// headline lists the ratios worth quoting.
func headline(r *run) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, "- "+format+"\n", args...) }
	hit := func(size, impl string) sel { return pick("Hit", "size", size, "impl", impl) }
	e2e := func(size, impl string) sel { return pick("EndToEnd", "case", "hit", "size", size, "impl", impl) }
	if x, ok := r.ratio(hit("1KiB", "gincache-memory"), hit("1KiB", "bare"), "cpu-ns/op"); ok {
		y, _ := r.ratio(e2e("1KiB", "gincache-memory"), e2e("1KiB", "bare"), "req/s")
		line("A memory hit costs %s the CPU time of a bare handler writing the same 1 KiB, and serves %s its requests per second over loopback HTTP.", ratio(x), ratio(y))
	}
	if x, ok := r.ratio(hit("1KiB", "gincache-memory"), hit("1KiB", "chenyahui-memory"), "cpu-ns/op"); ok {
		y, _ := r.ratio(e2e("1KiB", "gincache-memory"), e2e("1KiB", "chenyahui-memory"), "req/s")
		line("Against chenyahui/gin-cache's memory store: %s its CPU time per hit in process, %s its requests per second end to end.", ratio(x), ratio(y))
	}
	if x, ok := r.ratio(hit("1KiB", "redis-get"), hit("1KiB", "gincache-redis"), "ns/op"); ok {
		y, _ := r.ratio(hit("1KiB", "chenyahui-redis"), hit("1KiB", "gincache-redis"), "ns/op")
		z, _ := r.ratio(e2e("1KiB", "gincache-redis"), e2e("1KiB", "chenyahui-redis"), "req/s")
		line("A Redis hit (the entry and its tokens in one MGET) runs at %s the throughput of one raw go-redis GET plus c.Data, and %s chenyahui/gin-cache's Redis hit (%s end to end).", ratio(x), ratio(y), ratio(z))
	}
	if x, ok := r.ratio(pick("Miss", "size", "16KiB", "impl", "gincache-memory"), pick("Miss", "size", "16KiB", "impl", "uncached"), "cpu-ns/op"); ok {
		line("A miss on a handler encoding 16 KiB of JSON costs %+.0f%% CPU time over the handler uncached (memory backend).", (x-1)*100)
	}
	worst := map[string]float64{}
	for _, res := range r.results {
		if res.bench == "Invalidate" {
			worst[res.keys["impl"]] = max(worst[res.keys["impl"]], res.metrics["ns/op"])
		}
	}
	if len(worst) > 0 {
		line("Invalidating a path, at any fan-out up to 10,000 entries and any keyspace up to a million keys, took at most %s on memory and %s on Redis; chenyahui/gin-cache, which can only delete keys one by one, took up to %s (memory) and %s (Redis).",
			dur(worst["gincache-memory"]), dur(worst["gincache-redis"]), dur(worst["chenyahui-memory"]), dur(worst["chenyahui-redis"]))
	}
	return b.String()
}
