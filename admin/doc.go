// Package admin serves the admin API and dashboard page of a gincache
// cache over Gin: list, delete and clear keys, invalidate paths, read
// stats and health. It is fastapi-intelligent-cache's admin API, safe by
// default.
//
// # Mounting
//
// Mount registers the routes on a router or group the application
// chooses, under "/api/cache" unless WithBase says otherwise, and
// registers nothing anywhere else:
//
//	cache, _ := gincache.New(CachePolicies)
//	r := gin.New()
//	if _, err := admin.Mount(r, cache); err != nil { ... }  // loopback only
//	app := r.Group("/", auth, cache.Middleware())
//
// Mount them outside the cache middleware: behind it, the admin POST and
// DELETE requests would count as writes of their own paths.
//
// # Routes
//
// Every answer is JSON (application/json; charset=utf-8), with
// X-Content-Type-Options: nosniff and Cache-Control: no-store. Errors are
// {"error": "...", "param": "..."}: 400 names the bad parameter, 403
// says which protection refused, 404 is a missing key, 503 a backend
// that failed. Unknown, repeated or malformed query parameters are a 400,
// so that a typo ("/clear?patern=x") never widens what a request does.
//
//	GET    /keys?pattern=&cursor=&count=
//	       {"keys":[{"key":"1:GET:example.com/items::","ttl":42}],"cursor":"..."}
//	       Keys are relative to the cache's key prefix; the pattern is a
//	       glob (* ? [abc] \x) matched below it, so no pattern reaches
//	       another application's keys. cursor "0" (or none) starts, a
//	       returned "0" means done; other cursors are opaque. count is
//	       1 to 1000, default 100, a hint: a page may hold fewer keys (even
//	       none) with more to come. ttl is in whole seconds, -1 for none.
//	DELETE /keys/{key}   {"deleted":true}, or 404
//	       The key is the rest of the path, URL-decoded once: escape it as
//	       a path segment (encodeURIComponent), which keeps its own
//	       percent-escapes ("%2F" in a key travels as "%252F").
//	POST   /clear                  {"cleared":n}: every entry under the prefix
//	POST   /clear?pattern=glob     {"cleared":n}: the matching ones
//	POST   /invalidate?path=/spaces/123[&method=PUT]
//	       what a successful write of method (PUT by default; POST,
//	       PATCH, DELETE) to path invalidates
//	POST   /invalidate?target=/spaces/123/*
//	       an explicit target, as a write policy's Invalidate: an exact
//	       path's own responses, or with "/*" its subtree
//	GET    /stats    gincache.Stats
//	GET    /health   gincache.Health; 200, or 503 when the backend fails
//	GET    /         the dashboard page
//
// Keys, patterns and paths longer than gincache.MaxKeyLen and
// gincache.MaxPatternLen are refused with a 400.
//
// # Protection
//
// Without options, the routes answer only direct connections from a
// loopback address, with no forwarding header and a localhost Host
// (LoopbackOnly); everyone else gets 403. WithAuth replaces that rule
// with the application's own middleware (a bearer token, a session),
// run before every route, the page included. UnsafeAllowRemoteWithoutAuth
// serves them to anyone, and Mount logs a warning when it is used. In
// every mode, POST and DELETE requests a browser marks as cross-origin
// are refused (WithTrustedOrigin admits an origin), so a web page cannot
// make the operator's browser clear the cache. docs/SECURITY.md has the
// whole picture.
//
// # Dashboard
//
// GET {base}/ serves one page embedded in the binary, with its style and
// script inline and allowed by hash in its Content-Security-Policy: no
// CDN, no other asset. It shows the stats and the backend's health
// (refreshed every 2 seconds; ?refresh=ms changes it), a chart of the hit
// rate over the last 10 minutes drawn from the samples it has taken, the
// per-route counters, and a key browser: pattern search, paging, delete
// of one key and clear of a pattern, each confirmed first.
package admin
