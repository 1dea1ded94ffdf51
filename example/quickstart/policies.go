package quickstart

import (
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// CachePolicies is the route-to-policy table of this package, written by
// hand to match the //cache: directives until cachegen generates it.
var CachePolicies = gincache.Table{
	{Method: "GET", Path: "/items", Handler: "github.com/intelligentcache/gin-intelligent-cache/example/quickstart.(*API).ListItems-fm", Policy: gincache.Policy{TTL: 3600 * time.Second, Query: []string{"page", "limit"}}},
	{Method: "GET", Path: "/spaces", Handler: "github.com/intelligentcache/gin-intelligent-cache/example/quickstart.(*API).ListSpaces-fm", Policy: gincache.Policy{TTL: 3600 * time.Second}},
	{Method: "GET", Path: "/spaces/:space_id", Handler: "github.com/intelligentcache/gin-intelligent-cache/example/quickstart.(*API).GetSpace-fm", Policy: gincache.Policy{TTL: 86400 * time.Second}},
	{Method: "GET", Path: "/spaces/:space_id/items", Handler: "github.com/intelligentcache/gin-intelligent-cache/example/quickstart.(*API).ListSpaceItems-fm", Policy: gincache.Policy{TTL: 600 * time.Second}},
	{Method: "GET", Path: "/spaces/:space_id/items/:item_id", Handler: "github.com/intelligentcache/gin-intelligent-cache/example/quickstart.(*API).GetSpaceItem-fm", Policy: gincache.Policy{TTL: 600 * time.Second}},
}
