// Package explain shows which cached GET routes each write route
// invalidates, for cachegen -explain.
//
// # Rules
//
// They follow the generation-token design (DESIGN.md): every path node N
// has a subtree token S(N) and an own-responses token E(N); a cached
// response at /a/b/c depends on S of /, /a, /a/b, /a/b/c and on E(/a/b/c).
//
//   - PUT, PATCH and DELETE on /a/b renew S(/a/b) and E of every ancestor
//     (/a, /): they invalidate every cached route under /a/b ("subtree")
//     and the routes at /a and / ("ancestor list"), never siblings.
//   - POST on /a/b renews E(/a/b) and E of every ancestor: it invalidates
//     the routes at /a/b ("own responses") and at /a and / ("ancestor
//     list"), not the items under /a/b.
//   - off turns the two rules above off for a route.
//   - An invalidate= target renews E of its path, or S when it ends in /*
//     ("explicit").
//
// Routes are patterns: a :param or *catchall segment may stand for any
// segment, so the map says which cached routes a write may invalidate.
package explain
