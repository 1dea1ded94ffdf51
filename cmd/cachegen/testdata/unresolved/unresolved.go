// Package unresolved has routes whose paths cachegen cannot know: they are
// listed without a path, for Cache.CheckRoutes to bind by handler name.
package unresolved

import "github.com/gin-gonic/gin"

// Mount is called from outside the loaded packages: the prefix of r is
// unknown.
func Mount(r gin.IRouter) {
	r.GET("/items", listItems)
}

// Register takes its prefix at run time.
func Register(e *gin.Engine, prefix string) {
	e.Group(prefix).GET("/x", grouped)
	p := "/dynamic"
	e.POST(p, dynamic)
	e.GET("/static", static)
}

//cache:ttl=60
func listItems(c *gin.Context) {}

//cache:ttl=60
func grouped(c *gin.Context) {}

//cache:off
func dynamic(c *gin.Context) {}

//cache:ttl=60
func static(c *gin.Context) {}
