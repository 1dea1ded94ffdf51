package gincache

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/gin-gonic/gin"
)

// CheckRoutes compares the policy table with the routes an engine has
// registered (engine.Routes()) and binds the entries cachegen could not
// give a path. Call it at startup, before serving, and log or fail on the
// error:
//
//	if err := cache.CheckRoutes(r.Routes()); err != nil {
//		log.Fatal(err)
//	}
//
// A policy applies only to the route of its Method and Path. An entry
// without a Path (cachegen could not follow the route's prefix) applies
// to nothing until CheckRoutes binds it to the one route registered with
// its Method and Handler; a handler registered at several routes of that
// method binds to none of them (each could be behind different
// middleware: an auth group and a public one), and that is reported. It
// also reports drift: a table entry whose route is not registered, and a
// registered route whose handler carries a policy under another path (the
// handler moved and the table was not regenerated). Calling it again
// replaces the bindings.
func (c *Cache) CheckRoutes(routes gin.RoutesInfo) error {
	type mp struct{ method, path string }
	registered := make(map[mp]bool, len(routes))
	byHandler := make(map[string][]gin.RouteInfo)
	for _, r := range routes {
		registered[mp{r.Method, r.Path}] = true
		byHandler[r.Handler] = append(byHandler[r.Handler], r)
	}
	inTable := make(map[mp]bool, len(c.table))
	for _, r := range c.table {
		if r.Path != "" {
			inTable[mp{r.Method, r.Path}] = true
		}
	}
	var errs []error
	bound := make(map[string]*Policy)
	for i, r := range c.table {
		if r.Path != "" && !registered[mp{r.Method, r.Path}] {
			errs = append(errs, fmt.Errorf("policy for %s %s: no such route is registered", r.Method, r.Path))
		}
		if r.Handler == "" {
			continue
		}
		var at []string
		for _, reg := range byHandler[r.Handler] {
			if reg.Method != r.Method {
				continue
			}
			at = append(at, reg.Path)
			if r.Path != "" && reg.Path != r.Path && !inTable[mp{reg.Method, reg.Path}] {
				errs = append(errs, fmt.Errorf("handler %s carries a policy for %s %s but is registered at %s %s", r.Handler, r.Method, r.Path, reg.Method, reg.Path))
			}
		}
		if r.Path != "" {
			continue
		}
		switch len(at) {
		case 0:
			errs = append(errs, fmt.Errorf("policy for handler %s (%s): no route with that handler is registered", r.Handler, r.Method))
		case 1:
			if !inTable[mp{r.Method, at[0]}] {
				bound[r.Method+" "+at[0]] = &c.table[i].Policy
			}
		default:
			slices.Sort(at)
			errs = append(errs, fmt.Errorf("policy for handler %s (%s) has no path and the handler is registered at %v: it applies to none of them; give the routes distinct handlers or constant paths cachegen can follow", r.Handler, r.Method, at))
		}
	}
	c.bind(bound)
	if len(errs) > 0 {
		return fmt.Errorf("gincache: the policy table does not match the routes: %w", errors.Join(errs...))
	}
	return nil
}

// bind installs the bindings of Path-less entries, and drops the state of
// routes already resolved whose policy they change, so those routes
// resolve again on their next request.
func (c *Cache) bind(bound map[string]*Policy) {
	t := &c.routes
	t.mu.Lock()
	defer t.mu.Unlock()
	old := map[string]*Policy{}
	if p := t.bound.Load(); p != nil {
		old = *p
	}
	t.bound.Store(&bound)
	dropped := map[*routeState]bool{}
	for slot := range numSlots {
		cur := t.byPath[slot].Load()
		if cur == nil {
			continue
		}
		next := maps.Clone(*cur)
		for path, rs := range next {
			k := rs.method + " " + path
			if bound[k] != old[k] {
				delete(next, path)
				dropped[rs] = true
			}
		}
		t.byPath[slot].Store(&next)
	}
	if p := t.all.Load(); p != nil && len(dropped) > 0 {
		all := slices.DeleteFunc(slices.Clone(*p), func(rs *routeState) bool { return dropped[rs] })
		t.all.Store(&all)
	}
}
