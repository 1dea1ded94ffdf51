package generator

import (
	"cmp"
	"go/token"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/directive"
	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// entry is a route of the table with the registration it comes from.
type entry struct {
	route policy.Route
	reg   *registration
	g     *dirGroup
}

// writeRoute is a write route without a directive of its own, with the
// package it belongs to: the one declaring its handler, or the one
// registering it.
type writeRoute struct {
	route policy.Route
	home  *packages.Package
}

// run is the whole analysis: it fills a.entries, a.writes and a.diags.
func (a *analysis) run() {
	a.walk()
	a.solve()
	a.resolve()
	a.build()
}

// build matches registrations with directives, checks each directive
// against the routes it applies to, and sets a.entries, the routes of the
// tables, and a.writes, the write routes that carry no directive.
func (a *analysis) build() {
	for _, r := range a.regs {
		g := a.groupFor(r)
		if g != nil {
			g.regs = append(g.regs, r)
		}
		// Writes without a policy of their own still invalidate by the
		// automatic rules: -explain shows them too.
		home := r.pkg
		if r.h.fn != nil && a.loaded[r.h.fn.Pkg()] != nil {
			home = a.loaded[r.h.fn.Pkg()]
		}
		for _, m := range r.methods {
			if isWrite(m) && (g == nil || r.any) {
				for _, p := range r.paths {
					a.writes = append(a.writes, writeRoute{policy.Route{Method: m, Path: p, Handler: r.h.name}, home})
				}
			}
		}
	}
	a.checkAttachment()

	var entries []entry
	for _, g := range a.groups {
		if !g.broken && len(g.regs) > 0 {
			entries = append(entries, a.routesOf(g)...)
		}
	}
	slices.SortStableFunc(entries, func(x, y entry) int { return compareRoutes(x.route, y.route) })
	for i, e := range entries {
		if i > 0 {
			prev := entries[i-1]
			if sameRoute(prev.route, e.route) {
				if !reflect.DeepEqual(prev.route.Policy, e.route.Policy) {
					a.errorf(e.reg.call.Pos(), "%s %s is registered twice with different policies (also at %s), and the table cannot tell the two apart", e.route.Method, e.route.Path, a.where(prev.reg.call.Pos()))
				}
				continue
			}
		}
		a.entries = append(a.entries, e)
	}
	a.checkTargets()
	slices.SortStableFunc(a.writes, func(x, y writeRoute) int { return compareRoutes(x.route, y.route) })
	a.writes = slices.CompactFunc(a.writes, func(x, y writeRoute) bool { return sameRoute(x.route, y.route) && x.home == y.home })
}

func compareRoutes(x, y policy.Route) int {
	return cmp.Or(cmp.Compare(x.Path, y.Path), cmp.Compare(x.Method, y.Method), cmp.Compare(x.Handler, y.Handler))
}

func sameRoute(x, y policy.Route) bool {
	return x.Method == y.Method && x.Path == y.Path && x.Handler == y.Handler
}

func isWrite(m string) bool {
	switch m {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// checker reports each kind of problem of one directive once, however
// many routes share it.
type checker struct {
	a    *analysis
	g    *dirGroup
	seen map[string]bool
}

func (c *checker) once(key string, pos token.Pos, format string, args ...any) {
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.a.errorf(pos, format, args...)
}

// routesOf returns the routes a directive applies to, with their policies.
func (a *analysis) routesOf(g *dirGroup) []entry {
	c := &checker{a: a, g: g, seen: make(map[string]bool)}
	d := g.d
	if g.decl == nil {
		// A literal's directive sits above one statement; that statement
		// must register one literal only.
		lits := make(map[any]bool)
		for _, r := range g.regs {
			lits[r.h.lit] = true
		}
		if len(lits) > 1 {
			a.errorf(d.Pos, "the statement below this //cache: directive registers %d function literals: split it so that each has its own directive", len(lits))
			return nil
		}
	}
	var out []entry
	type uncachedReg struct {
		r       *registration
		methods []string
	}
	var uncached []uncachedReg
	effect := false
	for _, r := range g.regs {
		label := r.h.label()
		if g.decl != nil && r.h.fn != g.decl.fn {
			// A wrapper call: name the wrapped handler, whose directive this is.
			label = handlerRef{kind: hFunc, fn: g.decl.fn}.label()
		}
		methods := r.methods
		if methods == nil {
			a.errorf(r.methodsExpr.Pos(), "the method of this %s is not a constant: cachegen cannot tell which policy of %s applies", r.gin, label)
			continue
		}
		if r.any {
			bad := false
			for _, key := range []string{directive.KeyOff, directive.KeyInvalidate} {
				if it, ok := d.Item(key); ok {
					bad = true
					a.errorf(it.Pos, "%s does not apply to Any routes: Any registers nine methods and only its GET takes the policy (at %s); register the write routes separately", key, a.where(r.sel.Sel.Pos()))
				}
			}
			if bad {
				continue
			}
			a.notef(r.sel.Sel.Pos(), "Any registers nine methods: the policy of %s applies to its GET; the other methods are not cached, and POST, PUT, PATCH and DELETE keep the automatic invalidation", label)
			methods = []string{http.MethodGet}
		}
		if r.unknown != "" && !a.partial {
			if r.h.name == "" {
				a.errorf(r.call.Args[pathArg(r)].Pos(), "cannot resolve the full path of this route (%s), and %s has no stable run-time name to match it by (the compiler names closures after the functions it inlines them into): use a constant path on a router cachegen can follow, or a named handler", r.unknown, label)
				continue
			}
			a.warnf(r.call.Args[pathArg(r)].Pos(), "cannot resolve the full path of this route (%s): the table lists %s without a path: it applies once Cache.CheckRoutes binds it to the one route registered with its handler", r.unknown, label)
		}
		paths := r.paths
		if r.unknown != "" {
			paths = append(slices.Clip(paths), "")
		}
		var skipped []string
		for _, m := range methods {
			var p policy.Policy
			var ok bool
			switch {
			case m == http.MethodGet:
				effect = true
				p, ok = c.getPolicy(r, label)
			case isWrite(m):
				effect = true
				p, ok = c.writePolicy(r, m, label)
			default:
				skipped = append(skipped, m)
				continue
			}
			if !ok {
				continue
			}
			for _, path := range paths {
				if m != http.MethodGet && !c.targetsFit(r, m, path) {
					continue
				}
				out = append(out, entry{policy.Route{Method: m, Path: path, Handler: r.h.name, Policy: p}, r, g})
			}
		}
		if len(skipped) > 0 {
			uncached = append(uncached, uncachedReg{r, skipped})
		}
	}
	if !effect && len(uncached) > 0 {
		var methods []string
		for _, u := range uncached {
			for _, m := range u.methods {
				if !slices.Contains(methods, m) {
					methods = append(methods, m)
				}
			}
		}
		a.errorf(d.Pos, "the //cache: directive of %s has no effect: it is registered only for %s (cachegen caches GET routes and configures POST, PUT, PATCH and DELETE)", uncached[0].r.h.label(), strings.Join(methods, ", "))
		return out
	}
	for _, u := range uncached {
		a.notef(u.r.sel.Sel.Pos(), "%s routes are not cached: the //cache: directive of %s applies to its GET and write routes", strings.Join(u.methods, ", "), u.r.h.label())
	}
	return out
}

// route describes a registration in messages: "GET /items at main.go:12:2",
// or "the GET route at main.go:12:2" when its path is unknown.
func (a *analysis) route(r *registration, method string) string {
	if len(r.paths) == 0 {
		return "the " + method + " route at " + a.where(r.call.Pos())
	}
	return method + " " + strings.Join(r.paths, ", ") + " at " + a.where(r.call.Pos())
}

func (c *checker) getPolicy(r *registration, label string) (policy.Policy, bool) {
	d := c.g.d
	ok := true
	for _, key := range []string{directive.KeyInvalidate, directive.KeyOff} {
		if it, found := d.Item(key); found {
			ok = false
			c.once("get:"+key, it.Pos, "%s applies to write routes (POST, PUT, PATCH, DELETE), but %s is registered for %s", key, label, c.a.route(r, http.MethodGet))
		}
	}
	if d.TTL == 0 && !d.TTLDefault {
		ok = false
		c.once("get:ttl", d.Pos, "a cached GET needs ttl= (write ttl=default for the cache's default TTL): %s is registered for %s", label, c.a.route(r, http.MethodGet))
	}
	if r.auth != "" && !d.Public && len(d.Identity) == 0 {
		ok = false
		c.once("get:identity", d.Pos, "%s is behind an authentication middleware (%s) but its directive names no identity: add identity= with the context key that middleware sets (identity=user_id), or public if every caller gets the same response", c.a.route(r, http.MethodGet), r.auth)
	}
	if !ok {
		return policy.Policy{}, false
	}
	return policyOf(d, http.MethodGet), true
}

// policyOf is the policy a directive gives a route of the method: the GET
// keys for a GET, the write keys for a write.
func policyOf(d *directive.Directive, method string) policy.Policy {
	if method == http.MethodGet {
		return policy.Policy{
			TTL:      d.TTL,
			Stale:    d.Stale,
			Vary:     slices.Clone(d.Vary),
			Identity: slices.Clone(d.Identity),
			Public:   d.Public,
			Query:    slices.Clone(d.Query),
		}
	}
	var targets []string
	for _, t := range d.Invalidate {
		targets = append(targets, t.Path)
	}
	return policy.Policy{Invalidate: targets, NoInvalidate: d.Off}
}

func (c *checker) writePolicy(r *registration, method, label string) (policy.Policy, bool) {
	d := c.g.d
	ok := true
	for _, it := range d.Items {
		if directive.ForGET(it.Key) {
			ok = false
			c.once("write:"+it.Key, it.Pos, "%s applies to GET routes only, but %s is registered for %s", it.Key, label, c.a.route(r, method))
		}
	}
	if !ok {
		return policy.Policy{}, false
	}
	return policyOf(d, method), true
}

// targetsFit checks that every :param of the invalidate targets is a
// parameter of the route's path.
func (c *checker) targetsFit(r *registration, method, path string) bool {
	ok := true
	for _, t := range c.g.d.Invalidate {
		for _, p := range t.Params {
			switch {
			case path == "" && c.a.partial:
				// The path may come from another package: nothing to say.
			case path == "":
				ok = false
				c.once("param:"+p.Name+"@", p.Pos, "invalidate target %s uses :%s, but the path of %s is not known statically", t.Path, p.Name, c.a.route(r, method))
			case !hasParam(path, p.Name):
				ok = false
				c.once("param:"+p.Name+"@"+path, p.Pos, "invalidate target %s uses :%s, which route %s %s does not have", t.Path, p.Name, method, path)
			}
		}
	}
	return ok
}

// hasParam reports whether a Gin path has the parameter :name or *name.
func hasParam(path, name string) bool {
	for _, seg := range strings.Split(path, "/") {
		if (strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*")) && seg[1:] == name {
			return true
		}
	}
	return false
}
