// Package recursive mounts a group inside itself: the prefixes cachegen
// follows are capped, and the routes past the cap are matched by handler
// name.
package recursive

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	mount(r.Group("/tree"), 3)
}

func mount(g *gin.RouterGroup, depth int) {
	g.GET("/node", node)
	if depth > 0 {
		mount(g.Group("/sub"), depth-1)
	}
}

//cache:ttl=60
func node(c *gin.Context) {}
