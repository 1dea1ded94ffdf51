package explain

import (
	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// Hit is a cached route a write invalidates, and why.
type Hit struct {
	Route   policy.Route
	Reasons []string
}

// Write is a write route and what it invalidates.
type Write struct {
	Route policy.Route
	Hits  []Hit
}

// Map computes, for every write route of the table and of writes (the
// write routes without a directive), the cached GET routes of the table
// it invalidates. The writes come out in the order of the table and
// writes, merged by path then method.
func Map(table policy.Table, writes []policy.Route) []Write {
	var all []policy.Route
	var gets []policy.Route
	for _, r := range table {
		if r.Method == "GET" {
			gets = append(gets, r)
		} else {
			all = append(all, r)
		}
	}
	all = mergeSorted(all, writes)
	out := make([]Write, 0, len(all))
	for _, w := range all {
		out = append(out, Write{Route: w, Hits: hits(w, gets)})
	}
	return out
}

// mergeSorted merges two lists sorted by path, method and handler.
func mergeSorted(a, b []policy.Route) []policy.Route {
	out := make([]policy.Route, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if less(b[0], a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

func less(x, y policy.Route) bool {
	if x.Path != y.Path {
		return x.Path < y.Path
	}
	if x.Method != y.Method {
		return x.Method < y.Method
	}
	return x.Handler < y.Handler
}

// hits lists the cached routes w invalidates: the rule is
// policy.Invalidates, the one the runtime follows.
func hits(w policy.Route, gets []policy.Route) []Hit {
	if w.Path == "" {
		return nil // matched by handler name at run time: nothing to say statically
	}
	var out []Hit
	for _, g := range gets {
		if why := policy.Invalidates(w, g); len(why) > 0 {
			out = append(out, Hit{Route: g, Reasons: why})
		}
	}
	return out
}
