// Package orphan is loaded but not imported by the application: the table
// cannot refer to its handlers, so cachegen warns.
package orphan

import "github.com/gin-gonic/gin"

// Register mounts the route.
func Register(r *gin.Engine) {
	r.GET("/orphan", Orphan)
}

// Orphan is a handler.
//
//cache:ttl=1
func Orphan(c *gin.Context) {}
