// Package errduplicateroute registers the same route twice, on two
// engines, with function literals of different policies: the table, which
// matches literals by path, cannot tell them apart.
package errduplicateroute

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(public, admin *gin.Engine) {
	//cache:ttl=60
	public.GET("/health", func(c *gin.Context) {})
	//cache:ttl=5
	admin.GET("/health", func(c *gin.Context) {})
}
