// Package errwritekeysonget has write keys on a GET route.
package errwritekeysonget

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/items", list)
}

//cache:ttl=60 off invalidate=/reports
func list(c *gin.Context) {}
