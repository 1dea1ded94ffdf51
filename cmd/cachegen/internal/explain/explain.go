package explain

import (
	"strings"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// Hit is a cached route a write invalidates, and why.
type Hit struct {
	Route   gincache.Route
	Reasons []string
}

// Write is a write route and what it invalidates.
type Write struct {
	Route gincache.Route
	Hits  []Hit
}

// Map computes, for every write route of the table and of writes (the
// write routes without a directive), the cached GET routes of the table
// it invalidates. The writes come out in the order of the table and
// writes, merged by path then method.
func Map(table gincache.Table, writes []gincache.Route) []Write {
	var all []gincache.Route
	var gets []gincache.Route
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
func mergeSorted(a, b []gincache.Route) []gincache.Route {
	out := make([]gincache.Route, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if less(b[0], a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

func less(x, y gincache.Route) bool {
	if x.Path != y.Path {
		return x.Path < y.Path
	}
	if x.Method != y.Method {
		return x.Method < y.Method
	}
	return x.Handler < y.Handler
}

// hits lists the cached routes w invalidates.
func hits(w gincache.Route, gets []gincache.Route) []Hit {
	if w.Path == "" {
		return nil // matched by handler name at run time: nothing to say statically
	}
	ws := segments(w.Path)
	var out []Hit
	for _, g := range gets {
		if g.Path == "" {
			continue
		}
		gs := segments(g.Path)
		var why []string
		if !w.Policy.NoInvalidate {
			switch w.Method {
			case "POST":
				if equal(gs, ws) {
					why = append(why, "own responses of "+w.Path)
				}
			default: // PUT, PATCH, DELETE
				if under(gs, ws) {
					why = append(why, "subtree of "+w.Path)
				}
			}
			if len(gs) < len(ws) && under(ws, gs) {
				why = append(why, "ancestor list "+join(gs))
			}
		}
		for _, t := range w.Policy.Invalidate {
			base, subtree := strings.CutSuffix(t, "/*")
			if base == "" {
				base = "/"
			}
			ts := segments(base)
			if subtree && under(gs, ts) || !subtree && equal(gs, ts) {
				why = append(why, "explicit target "+t)
			}
		}
		if len(why) > 0 {
			out = append(out, Hit{Route: g, Reasons: why})
		}
	}
	return out
}

// Reaches reports whether an invalidate= target can renew a token on the
// way to a route's path: the path lies at or below the target's path
// (without its final /*), a :param of either matching any segment.
func Reaches(target, path string) bool {
	return ReachesSegments(TargetSegments(target), segments(path))
}

// TargetSegments splits an invalidate= target for ReachesSegments: the
// segments of its path without the final /*.
func TargetSegments(target string) []string {
	base, _ := strings.CutSuffix(target, "/*")
	return segments(base)
}

// PathSegments splits a route's path for ReachesSegments.
func PathSegments(path string) []string { return segments(path) }

// ReachesSegments is Reaches on a target and a path split once, for
// checking many targets against many routes.
func ReachesSegments(target, path []string) bool { return under(path, target) }

// segments splits a path into its non-empty segments: "/" has none.
func segments(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func join(segs []string) string { return "/" + strings.Join(segs, "/") }

func isWild(s string) bool { return strings.HasPrefix(s, ":") }

func isCatchAll(s string) bool { return strings.HasPrefix(s, "*") }

// match reports whether two segments may be the same request segment.
func match(a, b string) bool { return a == b || isWild(a) || isWild(b) }

// under reports whether path p may lie at or below path root.
func under(p, root []string) bool {
	for i, r := range root {
		if isCatchAll(r) {
			return len(p) >= i // a catch-all matches zero or more segments
		}
		if i >= len(p) {
			return false
		}
		if isCatchAll(p[i]) {
			return true
		}
		if !match(p[i], r) {
			return false
		}
	}
	return true
}

// equal reports whether two paths may be the same request path.
func equal(a, b []string) bool {
	n := min(len(a), len(b))
	for i := range n {
		if isCatchAll(a[i]) || isCatchAll(b[i]) {
			return true
		}
		if !match(a[i], b[i]) {
			return false
		}
	}
	if len(a) == len(b) {
		return true
	}
	longer := a
	if len(b) > len(a) {
		longer = b
	}
	return isCatchAll(longer[n])
}
