// Package gincache caches Gin GET responses and invalidates them when
// writes succeed.
//
// # Use
//
// Annotate handlers with //cache: directives, run go generate (cachegen
// writes the route-to-policy table, cache_policies_gen.go), then mount the
// middleware after authentication:
//
//	//cache:ttl=3600 query=page,limit
//	func listItems(c *gin.Context) { ... }
//
//	cache, err := gincache.New(CachePolicies)
//	api := r.Group("/", gincache.Auth(auth), cache.Middleware())
//
// A Table can also be written by hand (see Policy and Route). Auth marks
// the authentication middleware, so that the cache refuses to cache a route
// where it would run after the cache; AuthGate marks one that only rejects.
//
// # What a request gets
//
// A GET on a route with a policy is a HIT (replayed from the backend,
// headers intact, with Age and a strong ETag, 304 for a matching
// If-None-Match), a MISS (the handler runs once for all concurrent
// requests of the same key, and its response is stored when it may be),
// or a SKIP (the cache is bypassed: Cache-Control: no-cache, credentials
// on a route whose key holds no identity, a missing vary value, a
// malformed query, a body over the size cap, a streamed response). The
// X-Cache header says which; Cache-Status (RFC 9211) says why.
//
// A response is stored only if the handler chain wrote it and reported no
// error (c.Error): a failed request that an error middleware outside the
// cache answers is never stored, nor handed to concurrent requests. A
// stale entry (Policy.Stale) is served whole while a copy of the request's
// context runs the handlers after the cache in the background; a refresh
// that fails keeps the stale entry.
//
// On a networked backend a miss's response goes out before its store,
// which runs after it within the request's budget (Cache-Status says
// detail=storing); requests of the key on the instance meanwhile are hits
// on the entry being stored, and a write answered before the store makes
// it refuse the entry. Close and WaitStores wait for the stores under way;
// WithStoreBeforeResponse(true) stores first.
//
// # Identity
//
// Identity is explicit: Policy.Identity (directive identity=) names what
// identifies the caller, a context key the authentication middleware sets
// or a credential. A request carrying credentials (WithCredentialHeaders,
// WithCredentialQuery) is cached only on a Public route or one whose key
// holds an identity covering them; a Vary entry never counts.
//
// # Keys
//
// A key holds the prefix, a key version, the method, the host, the escaped
// path, the query (split, decoded, filtered by the policy's Query list,
// sorted, re-encoded) and the vary values:
//
//	gincache:1:GET:example.com/spaces/123:limit=10&page=1:user_id=42
//
// Every part is percent-encoded so that distinct requests never share a
// key and no URL can inject a glob pattern; long parts are replaced by a
// SHA-256 digest.
//
// # Invalidation
//
// Each path node has two generation tokens, one for its subtree and one
// for its own responses; an entry records the tokens it was filled under
// and is valid only while they are unchanged. A successful PUT, PATCH or
// DELETE renews the written node's subtree token and the own-responses
// token of every ancestor; a POST renews the own-responses tokens of the
// node and its ancestors. So a write costs a few token writes whatever the
// number of entries it makes stale, a fill that overlapped a write is
// never served after it, and the invalidation completes before the first
// byte of the write's response leaves.
//
// # Failure
//
// Backend errors are logged (rate-limited), counted and never turn into
// a 5xx: the request is served by the handler. On a networked backend a
// write's response waits until its invalidation has landed: a failed
// attempt is retried, past an open circuit breaker, for up to
// WithInvalidationWait (5s by default), so that once a client holds the
// 2xx no instance sharing the backend serves what the write made stale.
// Past the wait the write is answered anyway, its tokens keep being
// retried, and this instance serves no hits until the global epoch token
// has been renewed. docs/CACHING_LIMITS.md says what remains: an instance
// that dies before its renewal lands, or whose own link fails for longer
// than the wait.
package gincache
