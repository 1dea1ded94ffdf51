package generator

import (
	"cmp"
	"maps"
	"slices"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// checkTargets reports each invalidate= target that reaches no route of
// the loaded packages: its path is neither the path of a route nor a
// prefix of one, so renewing its tokens would invalidate nothing. The
// usual cause is a target written without the group prefix the routes
// get from the router they are registered on (invalidate=/articles/feed
// for a route at /api/articles/feed); joining the target with each known
// group prefix finds the path meant. While some route's path is not known
// statically the target may be meant for it, and the error is a warning.
// A partial analysis, which does not see every route, says nothing.
func (a *analysis) checkTargets() {
	if a.partial {
		return
	}
	var paths []string
	prefixes := make(map[string]bool)
	unknown := false
	for _, r := range a.regs {
		paths = append(paths, r.paths...)
		unknown = unknown || r.unknown != ""
		for _, p := range r.prefixes {
			prefixes[p] = true
		}
	}
	// Every group prefix a router value may carry, not only those routes
	// are registered on: r.Group("/api") then api.Group("/articles").
	for _, s := range a.nodes {
		for p := range s.paths {
			prefixes[p] = true
		}
	}
	delete(prefixes, "/")
	// Shortest first: a :param segment of a route matches any segment of a
	// target, and the longer prefixes would find far-fetched paths first.
	sorted := slices.SortedFunc(maps.Keys(prefixes), func(x, y string) int {
		return cmp.Or(cmp.Compare(len(x), len(y)), cmp.Compare(x, y))
	})
	slices.Sort(paths)
	var segs [][]string
	for _, p := range slices.Compact(paths) {
		segs = append(segs, policy.Segments(p))
	}
	reaches := func(target string) bool {
		t, _ := policy.ParseTarget(target) // checked by the directive parser
		return slices.ContainsFunc(segs, func(p []string) bool { return policy.Reaches(t, p) })
	}
	// Only the targets of directives that made write routes: one that is
	// misapplied has its error already.
	writers := make(map[*dirGroup]bool)
	for _, e := range a.entries {
		writers[e.g] = writers[e.g] || isWrite(e.route.Method)
	}
	for _, g := range a.groups {
		if !writers[g] {
			continue
		}
		for _, t := range g.d.Invalidate {
			if reaches(t.Path) {
				continue
			}
			msg := "invalidate target " + t.Path + " matches no route and no prefix of one"
			if unknown {
				msg += " that cachegen could resolve (some routes' paths are not known statically)"
			}
			base, subtree := policy.SplitTarget(t.Path)
			for _, p := range sorted {
				cand := joinPaths(p, base)
				if subtree {
					cand += "/*"
				}
				if reaches(cand) {
					msg += ": did you mean " + cand + "? (a target is a full path: the group prefix " + p + " comes from the router the routes are registered on)"
					break
				}
			}
			if unknown {
				a.warnf(t.Pos, "%s", msg)
			} else {
				a.errorf(t.Pos, "%s", msg)
			}
		}
	}
}
