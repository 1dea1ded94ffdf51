package main

import (
	"slices"
	"sort"
	"strings"
)

// sel picks results: bench, and every key=value given.
type sel struct {
	bench string
	keys  map[string]string
}

func (s sel) match(r result) bool {
	if r.bench != s.bench {
		return false
	}
	for k, v := range s.keys {
		if r.keys[k] != v {
			return false
		}
	}
	return true
}

func pick(bench string, kv ...string) sel {
	s := sel{bench: bench, keys: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.keys[kv[i]] = kv[i+1]
	}
	return s
}

// values returns the metric of every matching result, by round ("" for
// results without rounds).
func (r *run) values(s sel, unit string) map[string]float64 {
	out := map[string]float64{}
	for _, res := range r.results {
		if v, ok := res.metrics[unit]; ok && s.match(res) {
			out[res.keys["round"]] = v
		}
	}
	return out
}

// median of the metric over the matching results; ok is false when none
// matched.
func (r *run) median(s sel, unit string) (float64, bool) {
	vs := r.values(s, unit)
	if len(vs) == 0 {
		return 0, false
	}
	var xs []float64
	for _, v := range vs {
		xs = append(xs, v)
	}
	return median(xs), true
}

// ratio is the median over rounds of a's metric over b's, taken in the
// same round: both ran minutes apart at most, under the same load.
func (r *run) ratio(a, b sel, unit string) (float64, bool) {
	av, bv := r.values(a, unit), r.values(b, unit)
	var xs []float64
	for round, x := range av {
		if y, ok := bv[round]; ok && y != 0 {
			xs = append(xs, x/y)
		}
	}
	if len(xs) == 0 {
		return 0, false
	}
	return median(xs), true
}

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	sort.Float64s(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// keyValues lists the values a key takes in a benchmark, in the order of
// first appearance.
func (r *run) keyValues(bench, key string) []string {
	var out []string
	for _, res := range r.results {
		if v, ok := res.keys[key]; ok && res.bench == bench && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// has reports whether any result matches.
func (r *run) has(s sel) bool {
	for _, res := range r.results {
		if s.match(res) {
			return true
		}
	}
	return false
}

// isRedis reports whether a contender runs on Redis.
func isRedis(impl string) bool {
	return strings.HasSuffix(impl, "-redis") || impl == "redis-get"
}
