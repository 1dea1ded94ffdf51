// Package tags has a handler in a file built only with the extra tag.
package tags

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/always", always)
	mountExtra(r)
}

//cache:ttl=60
func always(c *gin.Context) {}
