package gincache

import (
	"reflect"

	"github.com/gin-gonic/gin"
)

// Auth marks h as an authentication middleware: one that establishes who
// the caller is (sets the context key a policy's Identity names) or
// rejects the request. Register the returned handler in place of h:
//
//	api := r.Group("/api", gincache.Auth(users.AuthMiddleware(true)), cache.Middleware())
//
// It behaves exactly as h. The cache finds it in each route's chain (once
// per route, by what it is, never by name, so inlining, call sites and
// fresh instances of h do not matter): a cached route where a marked
// middleware runs after the cache, so that a HIT would be served before
// authentication, is never cached. Its requests pass through with X-Cache:
// SKIP (detail middleware-order) and the cache logs an error naming the
// route. cachegen also reads the mark: a GET route behind Auth or AuthGate
// whose directive names no identity and is not public is an error.
func Auth(h gin.HandlerFunc) gin.HandlerFunc {
	if h == nil {
		panic("gincache.Auth: nil handler")
	}
	return (&authMark{h}).serve
}

// AuthGate marks h as an authentication middleware that only rejects: it
// turns a caller without an identity into a 401 or 403 and sets nothing
// the response depends on. Such a gate may run after the cache on a route
// whose key holds an identity set earlier (a context key named in the
// policy's Identity, set by a middleware before the cache): a caller the
// gate would reject has no such identity, so it misses the vary value and
// never gets a HIT. On other routes a gate after the cache is misordered,
// as Auth is.
//
//	api := r.Group("/api", identify, cache.Middleware(), gincache.AuthGate(requireUser))
func AuthGate(h gin.HandlerFunc) gin.HandlerFunc {
	if h == nil {
		panic("gincache.AuthGate: nil handler")
	}
	return (&gateMark{h}).serve
}

type authMark struct{ h gin.HandlerFunc }

func (a *authMark) serve(c *gin.Context) { a.h(c) }

type gateMark struct{ h gin.HandlerFunc }

func (g *gateMark) serve(c *gin.Context) { g.h(c) }

// The marks are method values: every one shares the code of its method's
// wrapper, whatever the instance and wherever it was made, so a handler
// is recognised by its code pointer (or, where Gin's layout is unknown,
// by the name Gin reports, which is as fixed).
var (
	authPC   = reflect.ValueOf((&authMark{}).serve).Pointer()
	gatePC   = reflect.ValueOf((&gateMark{}).serve).Pointer()
	authName = funcName((&authMark{}).serve)
	gateName = funcName((&gateMark{}).serve)
	// middleName is the name of the cache's middleware, for the order
	// check where Gin's layout is unknown (set in init: Cache.serve
	// reaches the check itself).
	middleName string
)

func init() { middleName = funcName((&Cache{}).serve) }

// authKind says what a handler of a chain is to the order check.
type authKind uint8

const (
	notAuth authKind = iota
	isGate
	isAuth
)

func authKindOf(h gin.HandlerFunc) authKind {
	switch reflect.ValueOf(h).Pointer() {
	case authPC:
		return isAuth
	case gatePC:
		return isGate
	}
	return notAuth
}

func authKindOfName(name string) authKind {
	switch name {
	case authName:
		return isAuth
	case gateName:
		return isGate
	}
	return notAuth
}

// authAfter reports the marked authentication middleware that runs after
// the cache in the chain of gc's route (the cache's middleware is the
// handler running), as the worst kind found: isAuth over isGate.
func authAfter(gc *gin.Context) authKind {
	worst := notAuth
	if chain, at, ok := chainOf(gc); ok {
		for _, h := range chain[at+1:] {
			worst = max(worst, authKindOf(h))
		}
		return worst
	}
	names := gc.HandlerNames()
	cacheAt := -1
	for i, n := range names {
		if cacheAt < 0 && n == middleName {
			cacheAt = i
			continue
		}
		if cacheAt >= 0 {
			worst = max(worst, authKindOfName(n))
		}
	}
	return worst
}
