package gincache

import (
	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// Policy says how one route is cached (a GET) or what it invalidates (a
// write). It is policy.Policy; the alias keeps generated tables and user
// code reading gincache.Policy.
type Policy = policy.Policy

// Route ties a policy to a route. It is policy.Route.
type Route = policy.Route

// Table maps routes to policies: cachegen emits one per package
// (cache_policies_gen.go); New takes one. It is policy.Table.
type Table = policy.Table

// varyKind is what a Vary entry reads.
type varyKind = policy.VaryKind

const (
	varyContext = policy.VaryContext
	varyHeader  = policy.VaryHeader
	varyCookie  = policy.VaryCookie
)

// varySource is one parsed Vary entry.
type varySource struct {
	kind varyKind
	name string // context key, canonical header name, or cookie name
	// label is how the entry appears in keys: "user_id", "h.x-tenant",
	// "c.lang".
	label string
	// identity: listed in Policy.Identity. A header or cookie identity is
	// keyed by a digest of its value.
	identity bool
}

// parseVary parses one Vary entry (policy.ParseVary).
func parseVary(s string) (varySource, error) {
	v, err := policy.ParseVary(s)
	return varySource{kind: v.Kind, name: v.Name, label: v.Label}, err
}
