package main

import (
	"fmt"
	"math"
	"strings"
)

// chart is one SVG file the report writes.
type chart struct {
	file, alt, svg string
}

// charts draws the report's charts from the run.
func charts(r *run) []chart {
	return []chart{throughputChart(r), hitCostChart(r), invalidationChart(r)}
}

// throughputChart: end-to-end hit requests per second by payload, a panel
// per backend.
func throughputChart(r *run) chart {
	const bench = "EndToEnd"
	sizes := r.keyValues(bench, "size")
	panel := func(title string, impls []string) barPanel {
		p := barPanel{title: title, series: impls, groups: sizes}
		for _, size := range sizes {
			row := make([]float64, len(impls))
			for i, impl := range impls {
				v, ok := r.median(pick(bench, "case", "hit", "size", size, "impl", impl), "req/s")
				if !ok {
					v = math.NaN()
				}
				row[i] = v
			}
			p.values = append(p.values, row)
		}
		return p
	}
	svg := barChart("Cache hits end to end: requests per second", "loopback HTTP/1.1, 8 keep-alive connections, client and server on the same 2 cores; median of rounds",
		"requests per second", []barPanel{
			panel("memory", []string{"bare", "gincache-memory", "chenyahui-memory"}),
			panel("Redis", []string{"redis-get", "gincache-redis", "chenyahui-redis"}),
		}, func(v float64) string { return count(v) })
	return chart{"e2e-hit-throughput.svg", "End-to-end hit throughput by payload and backend", svg}
}

// hitCostChart: in-process CPU time per hit against the baseline, by
// payload.
func hitCostChart(r *run) chart {
	const bench = "Hit"
	sizes := r.keyValues(bench, "size")
	panel := func(title, base string, impls []string) barPanel {
		p := barPanel{title: title, series: append([]string{base}, impls...), groups: sizes}
		for _, size := range sizes {
			row := []float64{1}
			for _, impl := range impls {
				v, ok := r.ratio(pick(bench, "size", size, "impl", impl), pick(bench, "size", size, "impl", base), "cpu-ns/op")
				if !ok {
					v = math.NaN()
				}
				row = append(row, v)
			}
			p.values = append(p.values, row)
		}
		return p
	}
	svg := barChart("Cache hits in process: CPU time per hit × the limit", "1.00 = the limit: a bare handler writing the bytes (memory), one go-redis GET plus c.Data (Redis); median of per-round ratios",
		"CPU time per request × the limit", []barPanel{
			panel("memory", "bare", []string{"gincache-memory", "chenyahui-memory"}),
			panel("Redis", "redis-get", []string{"gincache-redis", "chenyahui-redis"}),
		}, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	return chart{"inprocess-hit-cost.svg", "In-process CPU time per hit against the limit", svg}
}

// invalidationChart: time to invalidate against keyspace size, a panel
// per fan-out.
func invalidationChart(r *run) chart {
	const bench = "Invalidate"
	impls := r.keyValues(bench, "impl")
	var panels []linePanel
	for _, fan := range r.keyValues(bench, "fanout") {
		p := linePanel{title: "fan-out " + count(atof(fan)), series: impls}
		keys := r.keyValues(bench, "keys")
		for _, k := range keys {
			p.xs = append(p.xs, short(atof(k)))
		}
		for _, impl := range impls {
			var vs []float64
			for _, k := range keys {
				v, ok := r.median(pick(bench, "impl", impl, "keys", k, "fanout", fan), "ns/op")
				if !ok {
					v = math.NaN()
				}
				vs = append(vs, v)
			}
			p.values = append(p.values, vs)
		}
		panels = append(panels, p)
	}
	svg := logLineChart("Invalidation time against keyspace size", "one write making stale every cached response under its path (the fan-out); logarithmic scale",
		"time per invalidation", "keys held besides the fan-out", panels, 1e6, "DESIGN.md target: 1 ms", func(v float64) string { return strings.Replace(dur(v), ".00", "", 1) })
	return chart{"invalidation.svg", "Invalidation time by keyspace size and fan-out", svg}
}

// short writes 1000 as 1K and 1000000 as 1M.
func short(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%gM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%gK", x/1e3)
	}
	return fmt.Sprintf("%g", x)
}
