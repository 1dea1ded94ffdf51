// Package routed has its routes registered on a group that main passes
// in, and a table generated from the whole module (cachegen ./...), with
// the group prefix: the analyzer cannot see the prefix, and says nothing
// about it, but it tells a table that go generate has not refreshed since
// a directive changed.
package routed

import "github.com/gin-gonic/gin"

// Register mounts the routes on g.
func Register(g *gin.RouterGroup) {
	g.GET("", List)
	g.GET("/:slug", Show)
	g.PUT("/:slug", Update)
}

// List is current in the table.
//
//cache:ttl=60
func List(c *gin.Context) {}

// Show's ttl changed since the table was generated.
//
// want +2 `cache_policies_gen.go is stale: it gives GET /api/articles/:slug "ttl=1m", the directive "ttl=2m": run go generate`
//
//cache:ttl=120
func Show(c *gin.Context) {}

// Update's target changed too.
//
// want +2 `cache_policies_gen.go is stale: it gives PUT /api/articles/:slug "invalidate=/api/feed", the directive "invalidate=/api/home": run go generate`
//
//cache:invalidate=/api/home
func Update(c *gin.Context) {}
