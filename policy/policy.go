package policy

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Policy says how one route is cached (a GET) or what it invalidates (a
// write). cachegen builds policies from //cache: directives; they can be
// written by hand too.
type Policy struct {
	// TTL is how long a response stays fresh. 0 means the cache's default
	// TTL (gincache.WithDefaultTTL). GET routes only.
	TTL time.Duration

	// Stale is how long after TTL an entry is kept and may be served stale
	// while one request refreshes it, or when the handler fails. GET
	// routes only. 0: never served stale.
	Stale time.Duration

	// Vary lists what else, besides host, path and query, selects the
	// cached response:
	//
	//	user_id         a gin context value (c.Get), set by earlier middleware
	//	header:Name     a request header
	//	cookie:Name     a request cookie
	//
	// A request missing any of them is not cached (SKIP), never stored
	// under an empty identity. A Vary entry is never an identity, however
	// it is named: a cookie that sets a language does not tell users
	// apart. Name what identifies the caller in Identity.
	Vary []string

	// Identity lists what identifies the caller, in Vary's syntax. Each is
	// in the key, as a Vary entry is, and marks the key as holding an
	// identity, which lets requests carrying credentials
	// (gincache.WithCredentialHeaders: Authorization, Cookie, X-Api-Key...)
	// be cached and
	// Cache-Control: private responses be stored:
	//
	//	user_id              a context key the authentication middleware
	//	                     sets: every credential is then covered, and an
	//	                     gincache.AuthGate may run after the cache
	//	header:Authorization the credential itself: covers that header only
	//	cookie:session       a session cookie: covers the Cookie header only
	//
	// Header and cookie identities enter the key as a SHA-256 digest, so no
	// credential is readable in a key. A request carrying a credential the
	// key does not cover is passed through uncached (detail authorization).
	Identity []string

	// Public allows caching requests that carry credentials on a route
	// whose key holds no identity: the response is the same for every
	// caller. Credential query parameters are then left out of the key.
	// Public and Identity exclude each other.
	Public bool

	// Query lists the query parameters that select the response; the
	// others are left out of the key, so cache-busting parameters cannot
	// flood the cache. nil means every parameter counts; an empty non-nil
	// slice means none does.
	Query []string

	// Invalidate lists extra paths a write route invalidates beyond its
	// own hierarchy, in Gin path syntax, with parameters taken from the
	// write's route (":space_id" is replaced by c.Param("space_id")). An
	// exact path invalidates that path's own responses; a trailing "/*"
	// invalidates its whole subtree.
	Invalidate []string

	// NoInvalidate turns off the automatic hierarchical invalidation of a
	// write route, for writes that change nothing cached. The Invalidate
	// targets still apply.
	NoInvalidate bool
}

// Route ties a policy to a route.
type Route struct {
	// Method is the HTTP method: "GET" for a cached route, POST, PUT,
	// PATCH or DELETE for a write.
	Method string
	// Path is the route's full Gin path pattern ("/spaces/:space_id"), as
	// c.FullPath() reports it. A policy applies only to the route of its
	// Method and Path, never to another route that shares its handler.
	// Empty when cachegen could not know the path statically: such an entry
	// applies to nothing until gincache's Cache.CheckRoutes binds it to the one route
	// registered with its Handler (see CheckRoutes).
	Path string
	// Handler is the handler's name as Gin reports it (c.HandlerName(),
	// gin.RouteInfo.Handler): what CheckRoutes binds a Path-less entry by,
	// and checks for drift.
	Handler string
	// Policy is what applies to the route.
	Policy Policy
}

// Table maps routes to policies. cachegen emits one per package
// (cache_policies_gen.go); gincache.New takes one.
type Table []Route

// IsWrite reports whether method is one that invalidates: POST, PUT,
// PATCH or DELETE.
func IsWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// Validate checks every route of the table and returns all problems found,
// joined. gincache.New calls it.
func (t Table) Validate() error {
	var errs []error
	seen := make(map[string]bool)
	for i, r := range t {
		if err := r.validate(); err != nil {
			errs = append(errs, fmt.Errorf("route %d (%s %s): %w", i, r.Method, routeLabel(r), err))
			continue
		}
		id := r.Method + " " + r.Path + " " + r.Handler
		if seen[id] {
			errs = append(errs, fmt.Errorf("route %d (%s %s): listed twice", i, r.Method, routeLabel(r)))
		}
		seen[id] = true
	}
	return errors.Join(errs...)
}

func routeLabel(r Route) string {
	if r.Path != "" {
		return r.Path
	}
	return "handler " + r.Handler
}

func (r Route) validate() error {
	if r.Path == "" && r.Handler == "" {
		return errors.New("needs a Path or a Handler")
	}
	if r.Path != "" && !strings.HasPrefix(r.Path, "/") {
		return fmt.Errorf("path %q must start with /", r.Path)
	}
	p := r.Policy
	if p.TTL < 0 {
		return fmt.Errorf("negative TTL %v", p.TTL)
	}
	if p.Stale < 0 {
		return fmt.Errorf("negative Stale %v", p.Stale)
	}
	sources := make(map[string]bool)
	for _, list := range [][]string{p.Identity, p.Vary} {
		for _, v := range list {
			src, err := ParseVary(v)
			if err != nil {
				return err
			}
			if sources[src.Label] {
				return fmt.Errorf("%q is listed twice in Identity and Vary", v)
			}
			sources[src.Label] = true
		}
	}
	if p.Public && len(p.Identity) > 0 {
		return errors.New("a policy cannot be both Public and keyed by an Identity: a public response is the same for every caller")
	}
	for _, q := range p.Query {
		if q == "" {
			return errors.New("empty query parameter name")
		}
	}
	switch {
	case r.Method == http.MethodGet:
		if len(p.Invalidate) > 0 || p.NoInvalidate {
			return errors.New("the Invalidate and NoInvalidate fields apply to write routes, not GET")
		}
	case IsWrite(r.Method):
		if p.TTL != 0 || p.Stale != 0 || len(p.Vary) > 0 || len(p.Identity) > 0 || p.Public || p.Query != nil {
			return errors.New("TTL, Stale, Vary, Identity, Public and Query apply to GET routes only")
		}
		for _, target := range p.Invalidate {
			if err := checkTarget(target, r.Path); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("method %q: want GET, POST, PUT, PATCH or DELETE", r.Method)
	}
	return nil
}

// checkTarget validates an Invalidate target against the write's route:
// its form (ParseTarget), and each :param it names must be a parameter of
// the route.
func checkTarget(target, routePath string) error {
	t, err := ParseTarget(target)
	if err != nil {
		return err
	}
	for _, seg := range t.Segments {
		name, ok := Param(seg)
		if !ok {
			continue
		}
		if routePath == "" {
			return fmt.Errorf("invalidate target %q uses %s but the route's path is unknown", target, seg)
		}
		if !routeHasParam(routePath, name) {
			return fmt.Errorf("invalidate target %q: route %s has no parameter %s", target, routePath, seg)
		}
	}
	return nil
}

func routeHasParam(routePath, name string) bool {
	for _, seg := range strings.Split(routePath, "/") {
		if (strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*")) && seg[1:] == name {
			return true
		}
	}
	return false
}
