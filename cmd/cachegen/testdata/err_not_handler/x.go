// Package errnothandler puts directives on things that are not handlers.
package errnothandler

import "github.com/gin-gonic/gin"

//cache:ttl=60
func helper(n int) int { return n }

//cache:ttl=60
type T struct{}

// V is a variable.
//
//cache:ttl=60
var V = 1

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/x", func(c *gin.Context) { _ = helper(1) })
}
