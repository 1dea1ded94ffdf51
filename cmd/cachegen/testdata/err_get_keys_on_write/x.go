// Package errgetkeysonwrite has GET keys on write routes.
package errgetkeysonwrite

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.POST("/items", create)
	r.GET("/items", both)
	r.PUT("/items", both)
}

//cache:ttl=60 vary=user_id
func create(c *gin.Context) {}

//cache:ttl=60
func both(c *gin.Context) {}
