// Package policy holds the route-to-policy table and the invalidation
// rule, with no dependency on Gin, Redis or a cache implementation.
//
// # The table
//
// A Table lists Routes, each a method, a Gin path pattern and a Policy:
// how long a GET is cached and what selects its response, or what a write
// invalidates. cachegen writes one per package from //cache: directives
// (cache_policies_gen.go, typed gincache.Table, an alias of Table);
// gincache.New takes one and checks it with Validate.
//
// # The rule
//
// Every path node has two generation tokens, S (its subtree) and E (its
// own responses). ReadTokens says which a GET depends on, WriteTokens
// which a successful write renews, Target.Token which an explicit target
// renews, and Invalidates which cached routes a write makes stale. The
// middleware, the service, the admin API and cachegen -explain all use
// these functions, so what -explain prints is what the runtime does.
//
// # Targets
//
// An invalidation target is a path, exact (its own responses) or ending
// in "/*" (its whole subtree); SplitTarget is the one place that form is
// read, ParseTarget checks it.
package policy
