// Package erranywritekeys puts write keys on an Any route.
package erranywritekeys

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.Any("/items", items)
}

//cache:ttl=60 invalidate=/reports
func items(c *gin.Context) {}
