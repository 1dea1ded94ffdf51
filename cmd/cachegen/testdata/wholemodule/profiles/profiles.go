// Package profiles serves the profiles.
package profiles

import "github.com/gin-gonic/gin"

// Register mounts the routes on g.
func Register(g *gin.RouterGroup) {
	g.GET("/:username", show)
}

//cache:ttl=300
func show(c *gin.Context) {}
